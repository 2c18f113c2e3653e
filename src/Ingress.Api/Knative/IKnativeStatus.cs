namespace Ingress.Api.Knative;

/// <summary>
/// Knative's duck-typed status (<c>duckv1.Status</c>): every generated status class that has
/// <c>observedGeneration</c> and Knative <c>conditions</c> implements this, so one
/// <see cref="ConditionSet"/> works on all of them.
/// </summary>
public interface IKnativeStatus
{
    long? ObservedGeneration { get; set; }

    List<Condition>? Conditions { get; set; }
}

/// <summary>Values of a condition's <c>status</c>.</summary>
public static class ConditionStatus
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";
}

/// <summary>
/// Values of a condition's <c>severity</c>. Error is the empty string, which is never written (Knative's
/// <c>omitempty</c>), so it is null in our models.
/// </summary>
public static class ConditionSeverity
{
    public const string? Error = null;
    public const string Warning = "Warning";
    public const string Info = "Info";
}

/// <summary>Condition types shared by every Knative kind.</summary>
public static class ConditionTypes
{
    /// <summary>Top-level condition of long-running (living) resources.</summary>
    public const string Ready = "Ready";

    /// <summary>Top-level condition of run-to-completion (batch) resources.</summary>
    public const string Succeeded = "Succeeded";
}

public partial class Condition
{
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsTrue => Status == ConditionStatus.True;

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsFalse => Status == ConditionStatus.False;

    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsUnknown => Status == ConditionStatus.Unknown;
}

/// <summary>Reading a Knative status without a condition set.</summary>
public static class KnativeStatusExtensions
{
    public static Condition? GetCondition(this IKnativeStatus? status, string type) =>
        status?.Conditions?.FirstOrDefault(c => c.Type == type);

    /// <summary>
    /// Knative's "is ready": the controller has observed <paramref name="generation"/> (the object's
    /// <c>metadata.generation</c>) and Ready is True. A Ready status for an older generation is not ready.
    /// </summary>
    public static bool IsReady(this IKnativeStatus? status, long? generation) =>
        status is not null && status.ObservedGeneration == generation && status.GetCondition(ConditionTypes.Ready)?.IsTrue == true;
}
