using System.Globalization;
using System.Text.Json.Nodes;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Status;

/// <summary>
/// The Revision's status decisions (upstream <c>revision_lifecycle.go</c> and the revision reconciler's deployment
/// phase) as pure functions over the objects: Ready over <c>ResourcesAvailable</c> and <c>ContainerHealthy</c>;
/// <c>Active</c> (severity Info, not a dependent) from the PodAutoscaler. Call in the reconciler's order:
/// <see cref="Initialize"/>, then <see cref="MarkDeploying"/> (Deployment just created) or
/// <see cref="PropagateDeployment"/>, then <see cref="PropagateAutoscaler"/>.
/// </summary>
public static class RevisionStatus
{
    public const string ResourcesAvailable = "ResourcesAvailable";
    public const string ContainerHealthy = "ContainerHealthy";
    public const string Active = "Active";
    public static readonly string[] Dependents = [ResourcesAvailable, ContainerHealthy];

    public const string ReasonDeploying = "Deploying";
    public const string ReasonNotOwned = "NotOwned";
    public const string ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded";
    /// <summary>The queue-proxy sidecar never decides ContainerHealthy: only user containers do.</summary>
    public const string QueueContainerName = "queue-proxy";

    public static StatusConditions Manager(JsonObject revision, DateTimeOffset now) =>
        new(Json.EnsureObj(revision, "status"), now, "Ready", Dependents);

    public static void Initialize(JsonObject revision, DateTimeOffset now) => Manager(revision, now).Initialize();

    /// <summary>The Deployment did not exist and is being created.</summary>
    public static void MarkDeploying(JsonObject revision, DateTimeOffset now)
    {
        var cm = Manager(revision, now);
        cm.MarkUnknown(ResourcesAvailable, ReasonDeploying, "");
        cm.MarkUnknown(ContainerHealthy, ReasonDeploying, "");
    }

    /// <summary>Upstream <c>ReasonContainerMissing</c>: an image could not be resolved to a digest.</summary>
    public const string ReasonContainerMissing = "ContainerMissing";

    /// <summary>ContainerHealthy False, reason ContainerMissing (upstream MarkContainerHealthyFalse after a failed
    /// digest resolution); Ready follows.</summary>
    public static void MarkContainerMissing(JsonObject revision, DateTimeOffset now, string message) =>
        Manager(revision, now).MarkFalse(ContainerHealthy, ReasonContainerMissing, message);

    /// <summary>A child of the Revision's name exists but another object controls it.</summary>
    public static void MarkNotOwned(JsonObject revision, DateTimeOffset now, string kind, string name) =>
        Manager(revision, now).MarkFalse(ResourcesAvailable, ReasonNotOwned, Meta.NotOwnedMessage(kind, name));

    /// <summary>
    /// The Deployment phase: ResourcesAvailable follows the Deployment's Progressing/ReplicaFailure conditions
    /// (upstream TransformDeploymentStatus); when replicas are wanted but none is available the first Pod explains
    /// why — unschedulable (PodScheduled False), a user container's last termination (<c>ExitCode&lt;n&gt;</c>,
    /// <c>Container failed with: …</c>), or, once the progress deadline passed, its waiting reason
    /// (ImagePullBackOff, CrashLoopBackOff, …). Any ready replica makes ContainerHealthy True.
    /// </summary>
    /// <param name="firstPod">The first Pod of the Deployment's selector (null when none), read only when
    /// <c>spec.replicas &gt; 0</c> and <c>status.availableReplicas == 0</c>.</param>
    /// <param name="podIsAlwaysSchedulable">config-deployment <c>pod-is-always-schedulable</c>: unschedulable
    /// pods are then not reported (a cluster autoscaler will add nodes).</param>
    public static void PropagateDeployment(JsonObject revision, JsonObject deployment, JsonObject? firstPod, bool podIsAlwaysSchedulable, DateTimeOffset now)
    {
        var cm = Manager(revision, now);
        var ds = Json.Obj(deployment, "status");
        var (status, reason, message) = DeploymentReady(ds);
        switch (status)
        {
            case "True": cm.MarkTrue(ResourcesAvailable); break;
            case "False": cm.MarkFalse(ResourcesAvailable, reason, message); break;
            default: cm.MarkUnknown(ResourcesAvailable, reason, message); break;
        }

        if (NeedsPodDiagnosis(deployment) && firstPod is not null)
        {
            if (!podIsAlwaysSchedulable)
            {
                foreach (var c in Json.Arr(Json.Obj(firstPod, "status"), "conditions")?.OfType<JsonObject>() ?? [])
                {
                    if (Json.Str(c, "type") == "PodScheduled" && Json.Str(c, "status") == "False")
                    {
                        cm.MarkFalse(ResourcesAvailable, Json.Str(c, "reason"), Json.Str(c, "message"));
                        break;
                    }
                }
            }
            foreach (var cs in Json.Arr(Json.Obj(firstPod, "status"), "containerStatuses")?.OfType<JsonObject>() ?? [])
            {
                if (Json.Str(cs, "name") == QueueContainerName) continue;
                if (Json.Obj(Json.Obj(cs, "lastState"), "terminated") is { } t)
                {
                    var exitCode = Json.Long(t, "exitCode") ?? 0;
                    var msg = Json.Str(t, "message");
                    if (exitCode == 0 && msg.Length == 0) msg = "container exited with no error";
                    cm.MarkFalse(ContainerHealthy, ExitCodeReason(exitCode), ContainerExitingMessage(msg));
                    break;
                }
                if (Json.Obj(Json.Obj(cs, "state"), "waiting") is { } w && HasDeploymentTimedOut(ds))
                {
                    cm.MarkFalse(ResourcesAvailable, Json.Str(w, "reason"), Json.Str(w, "message"));
                    break;
                }
            }
        }
        if ((Json.Long(ds, "readyReplicas") ?? 0) > 0) cm.MarkTrue(ContainerHealthy);
    }

    /// <summary>True when the Deployment wants replicas but has none available: then the first Pod is read.</summary>
    public static bool NeedsPodDiagnosis(JsonObject deployment) =>
        (Json.Long(Json.Obj(deployment, "spec"), "replicas") ?? 1) > 0 && (Json.Long(Json.Obj(deployment, "status"), "availableReplicas") ?? 0) == 0;

    /// <summary>
    /// Upstream's PropagateAutoscalerStatus: actual/desired replicas (negative = unknown, omitted); no Ready
    /// condition yet → Active Unknown/Deploying (and ResourcesAvailable Unknown unless already failed);
    /// ScaleTargetInitialized makes resources available and the container healthy (unless either already failed);
    /// no service name yet keeps ResourcesAvailable Unknown; PA Ready False before the scale target was ever
    /// initialized means the initial scale was never reached (ProgressDeadlineExceeded).
    /// </summary>
    public static void PropagateAutoscaler(JsonObject revision, JsonObject pa, DateTimeOffset now)
    {
        var status = Json.EnsureObj(revision, "status");
        var cm = Manager(revision, now);
        var ps = Json.Obj(pa, "status");
        var resUnavailable = Conditions.Status(revision, ResourcesAvailable) == "False" || Conditions.Status(revision, ContainerHealthy) == "False";

        status.Remove("actualReplicas");
        if (Json.Long(ps, "actualScale") is { } actual and >= 0) status["actualReplicas"] = actual;
        status.Remove("desiredReplicas");
        if (Json.Long(ps, "desiredScale") is { } desired and >= 0) status["desiredReplicas"] = desired;

        var ready = Conditions.Get(pa, "Ready");
        if (ready is null)
        {
            cm.MarkUnknown(Active, ReasonDeploying, "");
            if (!resUnavailable) cm.MarkUnknown(ResourcesAvailable, ReasonDeploying, "");
            return;
        }
        var initialized = Conditions.Status(pa, "ScaleTargetInitialized") == "True";
        var serviceName = Json.Str(ps, "serviceName");
        if (initialized && !resUnavailable)
        {
            cm.MarkTrue(ResourcesAvailable);
            cm.MarkTrue(ContainerHealthy);
        }
        if (Conditions.Status(revision, ResourcesAvailable) == "True" && (serviceName.Length == 0 || !initialized))
            cm.MarkUnknown(ResourcesAvailable, ReasonDeploying, "");

        switch (Json.Str(ready, "status"))
        {
            case "False":
                if (!initialized && !resUnavailable && serviceName.Length > 0)
                    cm.MarkFalse(ResourcesAvailable, ReasonProgressDeadlineExceeded, "Initial scale was never achieved");
                cm.MarkFalse(Active, Json.Str(ready, "reason"), Json.Str(ready, "message"));
                break;
            case "True":
                cm.MarkTrue(Active);
                break;
            default:
                cm.MarkUnknown(Active, Json.Str(ready, "reason"), Json.Str(ready, "message"));
                break;
        }
    }

    /// <summary>Upstream's TransformDeploymentStatus reduced to the Ready it yields: ReplicaFailure True wins
    /// (False with its reason), else Progressing (False → False, True → True, Unknown/absent → Unknown
    /// <c>Deploying</c>). Of two unhappy dependents the one marked last wins, as in the living set.</summary>
    public static (string Status, string Reason, string Message) DeploymentReady(JsonObject? deploymentStatus)
    {
        (string S, string R, string M) progressing = ("Unknown", ReasonDeploying, "");
        (string S, string R, string M) replicaSet = ("True", "", "");
        var conditions = Json.Arr(deploymentStatus, "conditions")?.OfType<JsonObject>().ToList() ?? [];
        // Upstream walks Progressing first, then ReplicaFailure; the later mark is the more recent transition.
        var order = new List<string>();
        foreach (var c in conditions.Where(c => Json.Str(c, "type") == "Progressing"))
        {
            progressing = Json.Str(c, "status") switch
            {
                "True" => ("True", "", ""),
                "False" => ("False", Json.Str(c, "reason"), Json.Str(c, "message")),
                _ => ("Unknown", Json.Str(c, "reason"), Json.Str(c, "message")),
            };
            order.Add("p");
        }
        foreach (var c in conditions.Where(c => Json.Str(c, "type") == "ReplicaFailure"))
        {
            replicaSet = Json.Str(c, "status") switch
            {
                "True" => ("False", Json.Str(c, "reason"), Json.Str(c, "message")),
                "False" => ("True", "", ""),
                _ => ("Unknown", Json.Str(c, "reason"), Json.Str(c, "message")),
            };
            order.Add("r");
        }
        // Most recently marked first (ReplicaFailure is marked after Progressing when present).
        var byRecency = order.Contains("r") ? new[] { replicaSet, progressing } : [progressing, replicaSet];
        foreach (var d in byRecency) if (d.S == "False") return d;
        foreach (var d in byRecency) if (d.S == "Unknown") return d;
        return ("True", "", "");
    }

    /// <summary>Progressing False with reason ProgressDeadlineExceeded.</summary>
    public static bool HasDeploymentTimedOut(JsonObject? deploymentStatus) =>
        Json.Arr(deploymentStatus, "conditions")?.OfType<JsonObject>().Any(c =>
            Json.Str(c, "status") == "False" && Json.Str(c, "type") == "Progressing" && Json.Str(c, "reason") == ReasonProgressDeadlineExceeded) == true;

    /// <summary>Upstream's v1.ExitCodeReason: <c>ExitCode</c> followed by the code.</summary>
    public static string ExitCodeReason(long exitCode) => "ExitCode" + exitCode.ToString(CultureInfo.InvariantCulture);

    /// <summary>Upstream's v1.RevisionContainerExitingMessage.</summary>
    public static string ContainerExitingMessage(string message) => "Container failed with: " + message;
}
