"""Every endpoint of `wordpipe serve` against its own OpenAPI document, with Schemathesis.

Usage: contract_check.py WORDPIPE WORKDIR [MAX_EXAMPLES]

Schemathesis generates valid and invalid requests for each operation of /openapi.json (a fixed
seed) and checks: no server error, status codes and content types as documented, answers
matching their schemas, invalid data rejected. The server's log is then read: no request may
have been answered 5xx, and the server must stop cleanly on SIGTERM. Prints the count of cases."""
import os
import re
import subprocess
import sys

from serve_fixture import Server, make_artifacts

WORDPIPE, WORK = sys.argv[1], sys.argv[2]
EXAMPLES = sys.argv[3] if len(sys.argv) > 3 else "100"
files = make_artifacts(WORDPIPE, WORK, classifier=True)
server = Server(WORDPIPE, ["--vectors", files["vectors"], *sum([["--model", m] for m in files["models"]], [])])
checks = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection"
schemathesis = os.path.join(os.path.dirname(sys.executable), "schemathesis")
result = subprocess.run([schemathesis, "run", server.base + "openapi.json", "--checks", checks, "--max-examples", EXAMPLES,
                         "--seed", "20", "--workers", "2", "--no-color", "--generation-database", "none"],
                        capture_output=True, text=True, cwd=WORK)
status, log = server.stop()
cases = re.search(r"(\d+) generated, (\d+) passed", result.stdout)
failures = [line for line in log if re.search(r" 5\d\d ", line)]
statuses = {}
for line in log:
    match = re.match(r"serve: \S+ \S+ (\d{3}) ", line)
    if match:
        statuses[match.group(1)] = statuses.get(match.group(1), 0) + 1
print(f"contract check: {cases.group(0) if cases else 'no count'} by Schemathesis; server answers by status {dict(sorted(statuses.items()))}")
if result.returncode != 0 or not cases or cases.group(1) != cases.group(2) or failures or status != 0:
    print(result.stdout[-4000:], file=sys.stderr)
    sys.exit(f"contract check: FAILED (schemathesis exit {result.returncode}, {len(failures)} 5xx, serve exit {status})")
