namespace Ingress.Autoscaling;

/// <summary>Namespace and name of a revision (and of its PodAutoscaler, which has the same name).</summary>
public readonly record struct RevisionKey(string Namespace, string Name)
{
    /// <summary><c>namespace/name</c>, the value of the <c>knative.dev/key</c> log field.</summary>
    public override string ToString() => $"{Namespace}/{Name}";
}
