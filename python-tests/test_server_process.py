"""The server as a process: parallel clients, clean shutdown, refusing bad flags."""

import subprocess
import threading

from helpers import TrebuchetServer, adbc_connect, query_value


def test_parallel_connections_each_get_correct_answers(server):
    errors = []

    def client(threshold: int):
        try:
            conn = adbc_connect(server.uri)
            try:
                for _ in range(5):
                    got = query_value(conn, "SELECT count(*) FROM nation WHERE n_nationkey < ?", (threshold,))
                    assert got == threshold, f"threshold {threshold}: got {got}"
            finally:
                conn.close()
        except Exception as error:  # collected and reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=client, args=(threshold,)) for threshold in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert server.is_alive()


def test_server_exits_cleanly_on_sigterm(trebuchet_bin):
    srv = TrebuchetServer(trebuchet_bin, ["standalone", "--host", "127.0.0.1", "--port", "0", "--tpch-scale", "0"])
    srv.start()
    conn = adbc_connect(srv.uri)
    assert query_value(conn, "SELECT 1") == 1
    conn.close()
    srv.stop()
    assert srv.process.returncode == 0, srv.log_text()


def test_a_malformed_user_flag_is_refused_at_startup(trebuchet_bin):
    result = subprocess.run(
        [str(trebuchet_bin), "standalone", "--host", "127.0.0.1", "--port", "0", "--user", "no-password"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "no-password" in result.stderr or "NAME:PASSWORD" in result.stderr, result.stderr
