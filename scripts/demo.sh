#!/usr/bin/env bash
# make demo: starts a Temporal dev server (with its UI), awssim and a worker, runs a full DR drill
# (readiness, injected us-east-1 outage, failover, failback) and prints the drill report. Everything it
# started is stopped when it exits, on success, failure or Ctrl-C.
#
# Settings (environment): TEMPORAL_PORT (7233), UI_PORT (8233), AWSSIM_ADDR (127.0.0.1:4566),
# TIME_SCALE (0.01), TOPOLOGY (examples/roadcall-local.json), MONITOR_WINDOW (10s, the watch after each DNS
# move), KEEP=1 to keep everything running after the report until Ctrl-C (to look around in the UI).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$(go env GOPATH)/bin:$PATH"

TEMPORAL_PORT=${TEMPORAL_PORT:-7233}
UI_PORT=${UI_PORT:-8233}
AWSSIM_ADDR=${AWSSIM_ADDR:-127.0.0.1:4566}
TIME_SCALE=${TIME_SCALE:-0.01}
TOPOLOGY=${TOPOLOGY:-examples/roadcall-local.json}
TEMPORAL_ADDR=127.0.0.1:$TEMPORAL_PORT

work=$(mktemp -d "${TMPDIR:-/tmp}/roadcall-demo.XXXXXX")
pids=()
say() { printf '==> %s\n' "$*"; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if ((${#pids[@]})); then
		say "stopping what the demo started"
		# Each child leads its own process group (setsid), so this reaches anything it spawned too.
		for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
		for _ in $(seq 50); do
			local alive=0
			for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
			((alive)) || break
			sleep 0.2
		done
		for pid in "${pids[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
	fi
	if ((rc != 0)) && [[ -d $work ]]; then
		for log in "$work"/*.log; do
			[[ -s $log ]] || continue
			# Once the dev server was up, its log only holds its own shutdown noise.
			[[ $log == */temporal.log && -n ${temporal_up:-} ]] && continue
			printf '\n--- last lines of %s ---\n' "$(basename "$log")"
			tail -n 15 "$log"
		done
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME CMD...: runs CMD in its own process group, output to $work/NAME.log.
start() {
	local name=$1
	shift
	setsid "$@" >"$work/$name.log" 2>&1 &
	last=$!
	pids+=("$last")
}

# wait_for WHAT CMD...: retries CMD for up to 60 s while the process started last is alive.
wait_for() {
	local what=$1
	shift
	for _ in $(seq 300); do
		if "$@" >/dev/null 2>&1; then return 0; fi
		if ! kill -0 "$last" 2>/dev/null; then
			echo "demo: $what exited during startup" >&2
			return 1
		fi
		sleep 0.2
	done
	echo "demo: $what did not come up within 60s" >&2
	return 1
}

port_busy() { (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null; }

command -v temporal >/dev/null || { echo "demo: the temporal CLI is missing; run: make tools" >&2; exit 1; }
for addr in "$TEMPORAL_ADDR" "127.0.0.1:$UI_PORT" "$AWSSIM_ADDR"; do
	if port_busy "$addr"; then
		echo "demo: $addr is already in use (another demo or dev server?); stop it or set TEMPORAL_PORT/UI_PORT/AWSSIM_ADDR" >&2
		exit 1
	fi
done

say "building worker, starter and awssim"
go build -o "$work/bin/" ./worker ./starter ./awssim

say "starting the Temporal dev server on $TEMPORAL_ADDR (UI http://127.0.0.1:$UI_PORT)"
start temporal temporal server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$UI_PORT" \
	--log-level error --db-filename "$work/temporal.db"
wait_for "the Temporal dev server" temporal operator cluster health --address "$TEMPORAL_ADDR"
temporal_up=1
"$work/bin/starter" setup --address "$TEMPORAL_ADDR"

if [[ $AWSSIM_ADDR != 127.0.0.1:4566 ]]; then
	# The example topology's health URLs name awssim's default address; point them at this one.
	sed "s#http://127.0.0.1:4566/#http://$AWSSIM_ADDR/#g" "$TOPOLOGY" >"$work/topology.json"
	TOPOLOGY=$work/topology.json
fi

say "starting awssim on $AWSSIM_ADDR (time scale $TIME_SCALE)"
start awssim "$work/bin/awssim" --listen "$AWSSIM_ADDR" --topology "$TOPOLOGY" --time-scale "$TIME_SCALE" --identities examples/sim-identities.json
wait_for "awssim" curl -fsS "http://$AWSSIM_ADDR/_sim/health/us-east-1"

say "starting the worker (AWS_ENDPOINT_URL=http://$AWSSIM_ADDR)"
start worker env TEMPORAL_ADDRESS="$TEMPORAL_ADDR" TEMPORAL_NAMESPACE=default \
	AWS_ENDPOINT_URL="http://$AWSSIM_ADDR" AWS_REGION=us-east-1 \
	AWS_ACCESS_KEY_ID=awssim AWS_SECRET_ACCESS_KEY=awssim AWS_EC2_METADATA_DISABLED=true \
	"$work/bin/worker" --stop-timeout 2s --policy examples/policy-local.json
wait_for "the worker" grep -q "Started Worker" "$work/worker.log"

say "running the DR drill: readiness, us-east-1 outage injected in awssim, RegionFailover, checklist, outage lifted, Failback"
echo
rc=0
ROADCALL_POLICY=examples/policy-local.json "$work/bin/starter" --address "$TEMPORAL_ADDR" drill --topology "$TOPOLOGY" --auto-approve --monitor-window "${MONITOR_WINDOW:-10s}" || rc=$?
echo
if ((rc == 0)); then
	# The drill's word, read back from awssim's own state.
	primary=$(grep -o '"primaryRegion": *"[^"]*"' "$TOPOLOGY" | head -n1 | sed 's/.*"\([^"]*\)"$/\1/')
	state=$(curl -fsS "http://$AWSSIM_ADDR/_sim/state")
	serving=$(grep -o '"servingRegion":"[^"]*"' <<<"$state" | sed 's/.*"\([^"]*\)"$/\1/')
	# Route 53's data plane: what a resolver gets for the record now.
	record=$(grep -o '"recordName": *"[^"]*"' "$TOPOLOGY" | head -n1 | sed 's/.*"\([^"]*\)"$/\1/')
	resolved=$(curl -fsS "http://$AWSSIM_ADDR/_sim/dns?name=$record&type=A" | grep -o '"region":"[^"]*"' | head -n1 | sed 's/.*"\([^"]*\)"$/\1/')
	# In dns.mode routing-control, the routing controls as seeded: the primary's On, every other Off.
	controls_ok=1 controls=""
	rcs=$(grep -oE '"routingControls":\{("[^"]*":\{[^}]*\},?)*\}' <<<"$state" | head -n1)
	while read -r pair; do
		[[ -n $pair ]] || continue
		region=$(sed 's/"region":"\([^"]*\)".*/\1/' <<<"$pair")
		st=$(sed 's/.*"state":"\([^"]*\)"/\1/' <<<"$pair")
		controls+="${controls:+, }$region $st"
		want=Off
		[[ $region == "$primary" ]] && want=On
		[[ $st == "$want" ]] || controls_ok=0
	done < <(grep -o '"region":"[^"]*","state":"[^"]*"' <<<"$rcs")
	if [[ $serving == "$primary" && $resolved == "$primary" && $controls_ok == 1 ]] && grep -Eq '"faults":(null|\[\])' <<<"$state"; then
		say "drill completed: failed over and back; awssim's state: DNS serves from $serving again (/_sim/dns answers $resolved), routing controls ${controls:-none}, no fault left"
	else
		say "drill completed but awssim's state disagrees: DNS serves from ${serving:-?}, /_sim/dns answers ${resolved:-?} (want $primary), routing controls ${controls:-none} (want $primary On, the others Off), faults: $(grep -o '"faults":\[[^]]*' <<<"$state" | head -c 300)"
		rc=1
	fi
else
	say "drill exited $rc"
fi
say "the drill in the UI: http://127.0.0.1:$UI_PORT/namespaces/default/workflows/drill-roadcall-prod (KEEP=1 keeps it up)"
if [[ ${KEEP:-} == 1 ]]; then
	say "KEEP=1: UI at http://127.0.0.1:$UI_PORT, awssim at http://$AWSSIM_ADDR; Ctrl-C stops everything"
	wait
fi
exit "$rc"
