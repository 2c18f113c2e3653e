namespace Ingress.ApiServer;

/// <summary>How the embedded API server listens and where it keeps its data.</summary>
public sealed record ApiServerOptions
{
    /// <summary>TCP port; 0 lets the OS pick a free one (the default, so tests never collide).</summary>
    public int Port { get; init; }

    /// <summary>Address to bind. Default 127.0.0.1: the server has no authorization, so it is local only.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>Directory for the write-ahead log and snapshots; null keeps everything in memory.</summary>
    public string? DataDirectory { get; init; }

    /// <summary>When set, every request must carry <c>Authorization: Bearer &lt;token&gt;</c>.</summary>
    public string? BearerToken { get; init; }

    /// <summary>When set, decides every request instead of the <see cref="BearerToken"/> check (false answers 401).
    /// It sees the whole request, so tests use it to tell callers apart by token, rotate tokens and record API calls.</summary>
    public Func<Microsoft.AspNetCore.Http.HttpRequest, bool>? Authenticate { get; init; }

    /// <summary>PFX/PKCS#12 or PEM certificate file; when set the server speaks HTTPS only.</summary>
    public string? TlsCertificatePath { get; init; }

    /// <summary>Private key file when <see cref="TlsCertificatePath"/> is PEM; password for PFX.</summary>
    public string? TlsKeyPathOrPassword { get; init; }

    /// <summary>How many past events the watch hub keeps so a watch can resume from an older
    /// resourceVersion. Default 10,000: enough for informers that reconnect within seconds, small
    /// enough (event references only) to cost little memory. Older versions get 410 Gone.</summary>
    public int WatchHistorySize { get; init; } = 10_000;

    /// <summary>WAL records between snapshots. Default 100,000: keeps replay after a crash
    /// well under the 5 s restart budget while snapshots stay rare.</summary>
    public int SnapshotEveryRecords { get; init; } = 100_000;

    /// <summary>Largest accepted request body. Default 3 MiB, the real API server's limit.</summary>
    public long MaxRequestBodyBytes { get; init; } = 3 * 1024 * 1024;

    /// <summary>Interval between watch bookmarks when the client allows them. Default 10 s (the real
    /// server sends one roughly every minute; shorter keeps informers' versions fresh in tests).</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Namespaces that exist from the start.</summary>
    public IReadOnlyList<string> InitialNamespaces { get; init; } =
        ["default", "kube-system", "kube-public", "knative-serving", "istio-system"];
}
