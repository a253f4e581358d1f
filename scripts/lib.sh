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

# Installs checkov (pinned, .ci/requirements-checkov.txt) into a venv of its own, .venv-checkov, when missing or
# out of date (it pins a boto3 that aws-sam-cli refuses), and exports CHECKOV, its command.
ensure_checkov() {
    local venv=.venv-checkov stamp=.venv-checkov/.requirements
    if ! cmp -s .ci/requirements-checkov.txt "$stamp" 2>/dev/null; then
        echo "==> installing checkov into $venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r .ci/requirements-checkov.txt
        cp .ci/requirements-checkov.txt "$stamp"
    fi
    export CHECKOV="$PWD/$venv/bin/checkov"
}

# Runs "$@" with moto_server (SQS and DynamoDB) on a free loopback port, exported as ROLLCALL_TEST_AWS_ENDPOINT;
# stops moto afterwards, even on failure. Returns the command's status.
with_moto() {
    _with_moto_server "" "$@"
}

# Like with_moto, over HTTPS as on AWS: writes a throwaway test CA and a server certificate for localhost and
# 127.0.0.1 into the folder $1 (scripts/test-certs.py, fresh keys every time), serves moto with them, and runs
# "${@:2}" with ROLLCALL_TEST_AWS_ENDPOINT=https://127.0.0.1:PORT and SSL_CERT_FILE set to the CA (which
# rustls-native-certs, and so the AWS SDK's system trust store, reads instead of the system's roots).
with_moto_tls() {
    local dir=$1
    shift
    python3 scripts/test-certs.py "$dir" || return 1
    _with_moto_server "$(cd "$dir" && pwd)" "$@"
}

# with_moto and with_moto_tls: $1 is the certificate folder of with_moto_tls, or empty for plain HTTP.
_with_moto_server() {
    local tls=$1 scheme=http port log pid status
    local args=()
    shift
    if [ -n "$tls" ]; then
        scheme=https
        args=(-c "$tls/cert.pem" -k "$tls/key.pem")
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    log=$(mktemp)
    moto_server -H 127.0.0.1 -p "$port" "${args[@]}" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
        python3 -c 'import ssl, sys, urllib.request
context = ssl.create_default_context(cafile=sys.argv[2]) if sys.argv[2] else None
urllib.request.urlopen(sys.argv[1], context=context)' "$scheme://127.0.0.1:$port/moto-api/" "${tls:+$tls/ca.pem}" \
            2>/dev/null && break
        if ! kill -0 "$pid" 2>/dev/null; then echo "moto_server failed to start:" >&2; cat "$log" >&2; return 1; fi
        sleep 0.2
    done
    echo "==> moto_server on $scheme://127.0.0.1:$port" >&2
    status=0
    if [ -n "$tls" ]; then
        SSL_CERT_FILE="$tls/ca.pem" ROLLCALL_TEST_AWS_ENDPOINT="https://127.0.0.1:$port" \
            "$@" || status=$?
    else
        ROLLCALL_TEST_AWS_ENDPOINT="http://127.0.0.1:$port" "$@" || status=$?
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    rm -f "$log"
    return "$status"
}
