using System.Runtime.CompilerServices;

namespace Ingress.Api.Knative;

/// <summary>
/// A Knative condition set: one happy condition (<c>Ready</c> for living resources) that is the aggregate
/// of its dependent conditions. Create once per kind (e.g. <c>ConditionSet.Living("ConfigurationsReady",
/// "RoutesReady")</c>) and <see cref="Manage"/> a status to change it.
/// </summary>
public sealed class ConditionSet
{
    private ConditionSet(string happy, IReadOnlyList<string> dependents)
    {
        Happy = happy;
        Dependents = dependents;
    }

    /// <summary>The top-level condition type.</summary>
    public string Happy { get; }

    /// <summary>Conditions whose conjunction is <see cref="Happy"/>; all of severity Error.</summary>
    public IReadOnlyList<string> Dependents { get; }

    /// <summary>A set for long-running resources: <c>Ready</c> plus the given dependents.</summary>
    public static ConditionSet Living(params string[] dependents) => Create(ConditionTypes.Ready, dependents);

    /// <summary>A set for run-to-completion resources: <c>Succeeded</c> plus the given dependents.</summary>
    public static ConditionSet Batch(params string[] dependents) => Create(ConditionTypes.Succeeded, dependents);

    public static ConditionSet Create(string happy, params string[] dependents) =>
        new(happy, dependents.Where(d => d != happy).Distinct(StringComparer.Ordinal).ToArray());

    /// <summary>
    /// A manager that edits <paramref name="status"/> in place. <paramref name="clock"/> stamps
    /// <c>lastTransitionTime</c> (default: system clock). Like Go, the time keeps full precision in memory and is
    /// written in whole seconds.
    /// </summary>
    public ConditionManager Manage(IKnativeStatus status, TimeProvider? clock = null) =>
        new(this, status, clock ?? TimeProvider.System);

    /// <summary>Dependents and the happy condition are terminal (severity Error); anything else is Info.</summary>
    public string? SeverityOf(string type) =>
        type == Happy || Dependents.Contains(type) ? ConditionSeverity.Error : ConditionSeverity.Info;
}

/// <summary>Edits the conditions of one status according to its <see cref="ConditionSet"/>.</summary>
public sealed class ConditionManager
{
    private readonly ConditionSet _set;
    private readonly IKnativeStatus _status;
    private readonly TimeProvider _clock;

    // Order of transitions made in this process: with a fixed clock (tests, one reconcile) several conditions share
    // a timestamp, and the one marked last must still count as the most recent, even when each Mark call uses a
    // fresh manager. Conditions read from JSON have no entry (oldest).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Condition, StrongBox<long>> Sequence = [];
    private static long _counter;

    internal ConditionManager(ConditionSet set, IKnativeStatus status, TimeProvider clock)
    {
        _set = set;
        _status = status;
        _clock = clock;
    }

    public Condition? GetCondition(string type) => _status.Conditions?.FirstOrDefault(c => c.Type == type);

    public Condition? GetTopLevelCondition() => GetCondition(_set.Happy);

    /// <summary>True when the happy condition is True.</summary>
    public bool IsHappy() => GetTopLevelCondition()?.IsTrue == true;

    /// <summary>
    /// Adds the happy condition as Unknown when absent, then each missing dependent as Unknown — or as True when
    /// the happy condition is already True (it implies all its dependents are).
    /// </summary>
    public void InitializeConditions()
    {
        var happy = GetTopLevelCondition();
        if (happy is null)
        {
            happy = new Condition { Type = _set.Happy, Status = ConditionStatus.Unknown };
            SetCondition(happy);
        }
        var status = happy.IsTrue ? ConditionStatus.True : ConditionStatus.Unknown;
        foreach (var dependent in _set.Dependents)
        {
            if (GetCondition(dependent) is null)
            {
                SetCondition(new Condition { Type = dependent, Status = status });
            }
        }
    }

    /// <summary>
    /// Sets a condition, keeping the list sorted by type. Severity follows the set. <c>lastTransitionTime</c> is
    /// stamped only when the status changes (a new reason or message keeps the old time); an identical condition
    /// changes nothing.
    /// </summary>
    public void SetCondition(Condition condition)
    {
        ArgumentNullException.ThrowIfNull(condition.Type);
        var conditions = _status.Conditions ?? [];
        var next = new Condition
        {
            Type = condition.Type,
            Status = condition.Status,
            Severity = _set.SeverityOf(condition.Type),
            Reason = string.IsNullOrEmpty(condition.Reason) ? null : condition.Reason,
            Message = string.IsNullOrEmpty(condition.Message) ? null : condition.Message,
        };
        var existing = conditions.FindIndex(c => c.Type == condition.Type);
        if (existing >= 0)
        {
            var old = conditions[existing];
            if (old.Status == next.Status && old.Reason == next.Reason && old.Message == next.Message && old.Severity == next.Severity)
            {
                return;
            }
            if (old.Status == next.Status && old.LastTransitionTime is not null)
            {
                next.LastTransitionTime = old.LastTransitionTime;
                if (Sequence.TryGetValue(old, out var carried))
                {
                    Sequence.AddOrUpdate(next, carried);
                }
            }
            else
            {
                Stamp(next);
            }
            conditions[existing] = next;
        }
        else
        {
            Stamp(next);
            conditions.Add(next);
        }
        conditions.Sort((a, b) => string.CompareOrdinal(a.Type, b.Type));
        _status.Conditions = conditions;
    }

    /// <summary>Removes a non-terminal condition; the happy condition and dependents cannot be cleared.</summary>
    public void ClearCondition(string type)
    {
        if (type == _set.Happy || _set.Dependents.Contains(type) || _status.Conditions is null)
        {
            return;
        }
        // Assigned back rather than edited in place, so statuses that map Conditions onto another form see the change.
        _status.Conditions = _status.Conditions.Where(c => c.Type != type).ToList();
    }

    /// <summary>Marks a condition True and recomputes the happy condition from the dependents.</summary>
    public void MarkTrue(string type) => MarkTrueWithReason(type, null, null);

    /// <summary>Like <see cref="MarkTrue"/>, keeping a reason and message on the condition.</summary>
    public void MarkTrueWithReason(string type, string? reason, string? message)
    {
        SetCondition(new Condition { Type = type, Status = ConditionStatus.True, Reason = reason, Message = message });
        RecomputeHappiness(type);
    }

    /// <summary>
    /// Marks a condition False; when it is a dependent the happy condition goes False with the same reason and message.
    /// </summary>
    public void MarkFalse(string type, string? reason, string? message)
    {
        SetCondition(new Condition { Type = type, Status = ConditionStatus.False, Reason = reason, Message = message });
        if (_set.Dependents.Contains(type))
        {
            SetCondition(new Condition { Type = _set.Happy, Status = ConditionStatus.False, Reason = reason, Message = message });
        }
    }

    /// <summary>
    /// Marks a condition Unknown. If any dependent is False the happy condition is made False (if it is not already)
    /// with this reason and message; otherwise, when <paramref name="type"/> is a dependent, the happy condition
    /// becomes Unknown with them.
    /// </summary>
    public void MarkUnknown(string type, string? reason, string? message)
    {
        SetCondition(new Condition { Type = type, Status = ConditionStatus.Unknown, Reason = reason, Message = message });
        var isDependent = false;
        foreach (var dependent in _set.Dependents)
        {
            if (GetCondition(dependent)?.IsFalse == true)
            {
                if (GetTopLevelCondition()?.IsFalse != true)
                {
                    SetCondition(new Condition { Type = _set.Happy, Status = ConditionStatus.False, Reason = reason, Message = message });
                }
                return;
            }
            isDependent |= dependent == type;
        }
        if (isDependent)
        {
            SetCondition(new Condition { Type = _set.Happy, Status = ConditionStatus.Unknown, Reason = reason, Message = message });
        }
    }

    private void Stamp(Condition condition)
    {
        condition.LastTransitionTime = _clock.GetUtcNow();
        Sequence.AddOrUpdate(condition, new StrongBox<long>(Interlocked.Increment(ref _counter)));
    }

    private void RecomputeHappiness(string changed)
    {
        var unhappy = FindUnhappyDependent();
        if (unhappy is not null)
        {
            SetCondition(new Condition { Type = _set.Happy, Status = unhappy.Status, Reason = unhappy.Reason, Message = unhappy.Message });
        }
        else if (changed != _set.Happy)
        {
            SetCondition(new Condition { Type = _set.Happy, Status = ConditionStatus.True });
        }
    }

    /// <summary>
    /// The dependent that keeps the set from being happy: the most recently transitioned False one, else the most
    /// recently transitioned Unknown one, else a placeholder Unknown when a dependent was never set.
    /// </summary>
    private Condition? FindUnhappyDependent()
    {
        if (_set.Dependents.Count == 0)
        {
            return null;
        }
        var terminal = (_status.Conditions ?? [])
            .Where(c => c.Type != _set.Happy && _set.SeverityOf(c.Type!) == ConditionSeverity.Error)
            .OrderByDescending(c => c.LastTransitionTime ?? DateTimeOffset.MinValue)
            .ThenByDescending(c => Sequence.TryGetValue(c, out var seq) ? seq.Value : 0)
            .ToList();
        var found = terminal.FirstOrDefault(c => c.IsFalse) ?? terminal.FirstOrDefault(c => c.IsUnknown);
        if (found is not null)
        {
            return found;
        }
        return _set.Dependents.Count > terminal.Count
            ? new Condition { Type = _set.Happy, Status = ConditionStatus.Unknown }
            : null;
    }
}
