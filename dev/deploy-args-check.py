#!/usr/bin/env python3
"""Checks that deployment files start `trebuchet` only with flags and variables it knows.

    deploy-args-check.py TREBUCHET_BINARY FILE...

Each FILE is Kubernetes YAML (Deployments: every container running the trebuchet image) or
a resolved Compose project (`compose-config docker-compose.yml`: every service whose image
is trebuchet). For each, the first argument is the subcommand and the rest must be flags of
`trebuchet <subcommand> --help`, each given once unless its help says (repeatable), and
every TREBUCHET_* variable set must be one the subcommand reads. The schema checks cannot
see these mistakes; the server would refuse to start on them.
"""

import re
import subprocess
import sys

import yaml

FLAG = re.compile(r"^\s+(?:-\w, )?(--[a-z0-9-]+)")
ENV = re.compile(r"\[env: (TREBUCHET_[A-Z0-9_]+)")


def main(argv):
    if len(argv) < 3:
        sys.exit(f"usage: {argv[0]} TREBUCHET_BINARY FILE...")
    binary, files = argv[1], argv[2:]
    known = {}
    problems = []
    checked = 0
    for path in files:
        with open(path, encoding="utf-8") as stream:
            documents = [doc for doc in yaml.safe_load_all(stream) if doc]
        for where, args, env in trebuchet_processes(documents):
            checked += 1
            if not args or args[0].startswith("-"):
                problems.append(f"{path}: {where}: no subcommand in {args}")
                continue
            if args[0] not in known:
                known[args[0]] = subcommand_help(binary, args[0])
            flags, variables = known[args[0]]
            problems += [f"{path}: {where}: {p}" for p in check(args[1:], env, flags, variables)]
    if checked == 0:
        problems.append(f"no trebuchet container or service found in {' '.join(files)}")
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"{checked} trebuchet processes use known flags and variables")


def trebuchet_processes(documents):
    """(where, args, env names) of every container or service that runs the trebuchet image."""
    for doc in documents:
        if doc.get("kind") == "Deployment":
            name = doc["metadata"]["name"]
            for container in doc["spec"]["template"]["spec"]["containers"]:
                if is_trebuchet(container.get("image", "")):
                    env = [item["name"] for item in container.get("env", [])]
                    yield f"Deployment {name}/{container['name']}", container.get("args", []), env
        for service, spec in (doc.get("services") or {}).items():
            if is_trebuchet(spec.get("image", "")):
                yield f"service {service}", spec.get("command") or [], list(spec.get("environment") or {})


def is_trebuchet(image):
    return image.rsplit("/", 1)[-1].split(":")[0] == "trebuchet"


def subcommand_help(binary, subcommand):
    """The flags (name → repeatable) and variables that `trebuchet SUBCOMMAND --help` lists."""
    result = subprocess.run([binary, subcommand, "--help"], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{binary} {subcommand} --help failed: {result.stderr.strip()}")
    flags, variables, current = {}, set(), None
    for line in result.stdout.splitlines():
        match = FLAG.match(line)
        if match:
            current = match.group(1)
            flags[current] = False
        if current and "repeatable" in line:
            flags[current] = True
        variables.update(ENV.findall(line))
    return flags, variables


def check(args, env, flags, variables):
    seen = set()
    for arg in args:
        if not arg.startswith("--"):
            continue
        name = arg.split("=", 1)[0]
        if name not in flags:
            yield f"unknown flag {name}"
        elif name in seen and not flags[name]:
            yield f"{name} given twice"
        seen.add(name)
    for name in env:
        if name.startswith("TREBUCHET_") and name not in variables:
            yield f"unknown variable {name}"


if __name__ == "__main__":
    main(sys.argv)
