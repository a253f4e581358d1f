# Shared by scripts/test, scripts/reliability and scripts/bench (sourced, not run).

# Installs the pinned Python test tools into .venv when missing or out of date, and puts them on PATH.
ensure_venv() {
    local venv=.venv stamp=.venv/.requirements
    if ! cmp -s .ci/requirements.txt "$stamp" 2>/dev/null; then
        echo "==> installing test tools into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r .ci/requirements.txt
        cp .ci/requirements.txt "$stamp"
    fi
    export PATH="$PWD/$venv/bin:$PATH"
}

# Runs "$@" with moto_server (SQS and DynamoDB) on a free loopback port, exported as ROLLCALL_TEST_AWS_ENDPOINT;
# stops moto afterwards, even on failure. Returns the command's status.
with_moto() {
    local port log pid status
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    log=$(mktemp)
    moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
        python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
        if ! kill -0 "$pid" 2>/dev/null; then echo "moto_server failed to start:" >&2; cat "$log" >&2; return 1; fi
        sleep 0.2
    done
    echo "==> moto_server on 127.0.0.1:$port"
    status=0
    ROLLCALL_TEST_AWS_ENDPOINT="http://127.0.0.1:$port" ROLLCALL_TEST_REQUIRE_AWS=1 "$@" || status=$?
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$log"
    return "$status"
}
