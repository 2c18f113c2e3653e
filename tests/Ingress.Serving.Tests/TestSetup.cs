using System.Runtime.CompilerServices;
using Ingress.Serving.Config;

namespace Ingress.Serving.Tests;

internal static class TestSetup
{
    /// <summary>The spec's examples and the golden files assume cluster.local; pin it so a machine whose
    /// resolv.conf or CLUSTER_DOMAIN says otherwise still runs the same tests.</summary>
    [ModuleInitializer]
    internal static void PinClusterDomain() => ClusterDomain.Override("cluster.local");
}
