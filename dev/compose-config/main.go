// Command compose-config loads a Compose file the way `docker compose config` does (the
// same compose-go loader: interpolation, Compose Specification schema, normalization and
// consistency checks) and prints the resolved project, so docker-compose.yml is checked on
// machines without Docker's compose plugin.
//
//	compose-config docker-compose.yml
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: compose-config COMPOSE_FILE")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func run(path string) error {
	options, err := cli.NewProjectOptions([]string{path},
		cli.WithOsEnv,
		cli.WithDotEnv,
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
	)
	if err != nil {
		return err
	}
	project, err := options.LoadProject(context.Background())
	if err != nil {
		return err
	}
	resolved, err := project.MarshalYAML()
	if err != nil {
		return err
	}
	_, err = os.Stdout.Write(resolved)
	return err
}
