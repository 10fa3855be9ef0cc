package workflows

import "go.temporal.io/sdk/workflow"

// changeID names one change to a workflow's command sequence, for workflow.GetVersion.
//
// A workflow with a golden history in testdata/ may change what commands it issues only behind a new
// changeID. The rule for adding one:
//  1. add a constant below (a new ID, never a reused one) and branch on version(ctx, id) >= 1;
//  2. keep the old golden history in testdata/ unchanged and add a new one made on the dev server;
//  3. test both branches (the testsuite's OnGetVersion, or the two goldens replaying).
type changeID string

const (
	// assessDRScan added Scan --limit 1 per DR table to RegionFailover's assessment: an ACTIVE replica that
	// refuses reads is not a usable one. Runs recorded before it replay without those scans.
	assessDRScan changeID = "assess-dr-scan"
	// dnsModes made the DNS cutover follow dns.mode (ARC routing controls through the cluster, failover
	// records observed by resolution, or the UPSERT explaining a control plane that does not answer), the
	// assessment read the routing controls and fall back on them and the health URLs when Route 53's API
	// does not answer, and Failback's pre-check and the drill's checklist read DNS the way the mode moves
	// it. Runs recorded before it replay the UPSERT alone.
	dnsModes changeID = "dns-modes"
	// readinessStaticStability added ReadinessCheck's static-stability rows: the DNS mode graded for its
	// dependence on the primary region's control planes, the ARC routing controls read through the
	// cluster's endpoints (GetRoutingControlStates) and the failover records' health checks. Runs recorded
	// before it replay without the routing-control read.
	readinessStaticStability changeID = "readiness-static-stability"
	// restoreSettings made DataCorruptionRecovery give each restored resource the settings a point-in-time
	// restore drops: CarryTableSettings after a table's PITR (stream, TTL, tags, recovery period, deletion
	// protection), and the source writer's class and parameter group for a restored cluster's writer.
	// Runs recorded before it replay without that activity and with the topology's instance class.
	restoreSettings changeID = "restore-settings"
	// degAutoScaling made PartialDegradation's table action one AWS accepts on a global table: PROVISIONED
	// with Application Auto Scaling (targets whose minimum is the plan's capacity, target tracking) in every
	// replica region, recorded and reverted with the table's previous auto scaling (ReadTableCapacity).
	// Runs recorded before it replay the bare PROVISIONED UpdateTable and DescribeTable.
	degAutoScaling changeID = "degradation-autoscaling"
	// lambdaAliases made DataCorruptionRecovery reach functions the API invokes through an alias: the stop,
	// the cutover and the resume publish $LATEST as a version (GetFunctionAlias, PublishFunctionVersion,
	// WaitVersionActive) and point the alias at it (PointAlias), and a resume without cutover points it
	// back where it was. Runs recorded before it replay writing $LATEST alone.
	lambdaAliases changeID = "lambda-aliases"
	// workerPolicy made every workflow read the worker's policy at its start (LoadPolicy, and DescribeParent
	// for a drill's auto-approving child), verify the initiator's and approvers' STS tokens (VerifyIdentity)
	// and count M-of-N approvals. Runs recorded before it replay with the topology's approvers and names.
	workerPolicy changeID = "worker-policy"
	// failbackPartial made Failback read where things are before it plans (resolution, the routing controls
	// or the record, the global cluster's writer and members, each DR stack's DR mode), refuse only when
	// nothing is away from the primary or the primary cannot take it back, let an in-flight Aurora failover
	// land before switching back, and skip the DNS move and the stacks already home: a failover cancelled or
	// terminated half way is failed back. Runs recorded before it replay the pre-check that refuses whenever
	// DNS still points at the primary.
	failbackPartial changeID = "failback-partial"
	// inputLimits made every workflow refuse, before anything else, strings over their limits and
	// identifiers, names and durations outside AWS's and the topology's bounds. It adds only this marker:
	// a run recorded before it that carried such a value replays as it ran instead of failing at once.
	inputLimits changeID = "input-limits"
	// prepareGate added RegionFailover's prepareBeforeGate: after the assessment finds DR healthy, the DR
	// stacks are read (DescribeStack) and activated while the gate waits, and a gate that does not open
	// waits them out (WaitStackSettled) and sets them back. Only requests that ask for it take the branch.
	prepareGate changeID = "prepare-before-gate"
	// batchedReads made a topology of more than batchAbove tables read them in batches (CheckTables, up to
	// tableBatchSize tables per activity, heartbeating its progress) in RegionFailover's assessment and
	// verify, Failback's data sync and verify, and ReadinessCheck, with results summarized (counts, the
	// first failing tables by name) instead of one activity and one report entry per table. Runs recorded
	// before it replay the per-table reads.
	batchedReads changeID = "batched-reads"
	// uiNames named what the Temporal UI's timeline shows: timers carry a summary ("gate failover: escalation
	// 2 of 6", "monitor window 5m in us-west-2") instead of the SDK's "AwaitWithTimeout" and "Sleep", and a
	// drill's children carry static details, a memo and the DRParentDrill search attribute naming the drill.
	// Those are command attributes: runs recorded before it replay with the SDK's names and bare children.
	// It also added, with the named children, the review's upload (UploadReview, only when the topology
	// names reports.bucket) at the end of DRDrill and RegionFailover: one change to what a run shows.
	uiNames changeID = "ui-names"
	// scopeBounds made PartialDegradation refuse an examination of more than MaxDegradationResources
	// functions and tables (one metric read each, not batched, would overflow its first workflow task) and
	// DataCorruptionRecovery a restore of more than MaxRestoreTables tables (a step row and a restore chain
	// each). Runs recorded before it replay without the bounds.
	scopeBounds changeID = "scope-bounds"
)

// changeIDs lists every changeID, so a test can check that each is used and documented.
var changeIDs = []changeID{assessDRScan, dnsModes, readinessStaticStability, restoreSettings, degAutoScaling, lambdaAliases, workerPolicy, failbackPartial, inputLimits, prepareGate, batchedReads, uiNames, scopeBounds}

// version is workflow.GetVersion for one of the typed change IDs, from the default to version 1.
func version(ctx workflow.Context, id changeID) workflow.Version {
	return workflow.GetVersion(ctx, string(id), workflow.DefaultVersion, 1)
}
