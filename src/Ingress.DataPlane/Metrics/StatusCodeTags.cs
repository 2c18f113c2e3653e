namespace Ingress.DataPlane.Metrics;

/// <summary>HTTP status codes as metric tag values, boxed once. Why: a tag value is an <c>object</c>, so passing an
/// <c>int</c> boxes it on every request; the shared boxes also let a listener recognise a repeated tag set by
/// reference.</summary>
public static class StatusCodeTags
{
    private static readonly object[] BoxedCodes = Enumerable.Range(0, 600).Select(static code => (object)code).ToArray();

    /// <summary>The shared box for 0-599; codes outside that range are boxed anew (they do not happen in practice).</summary>
    public static object Boxed(int statusCode) => statusCode is >= 0 and < 600 ? BoxedCodes[statusCode] : statusCode;
}
