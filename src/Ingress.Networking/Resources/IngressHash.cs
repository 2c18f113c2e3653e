using System.Security.Cryptography;
using System.Text;
using Ingress.Api;
using Ingress.Api.Networking.V1Alpha1;

namespace Ingress.Networking.Resources;

/// <summary>
/// K-Network-Hash (spec §5.6): lowercase hex SHA-256 of Go's <c>json.Marshal(ing.Spec)</c> followed by namespace
/// and name. The generated models omit nulls but not Go's zero values, and cannot write <c>"paths":null</c>, so this
/// is a dedicated writer with Go's field order and omitempty rules.
/// </summary>
public static class IngressHash
{
    public static string Compute(IngressSpec? spec, string? ingressNamespace, string? ingressName)
    {
        var json = SpecJson(spec);
        var bytes = Encoding.UTF8.GetBytes(json + (ingressNamespace ?? "") + (ingressName ?? ""));
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>Go's JSON of the spec; exposed for tests and diagnosis.</summary>
    public static string SpecJson(IngressSpec? spec)
    {
        var w = new GoJsonWriter();
        w.BeginObject();
        if (spec is not null)
        {
            if (spec.Tls is { Count: > 0 } tls)
            {
                w.Name("tls").BeginArray();
                foreach (var entry in tls)
                {
                    w.BeginObject();
                    if (entry.Hosts is { Count: > 0 } hosts) StringArray(w.Name("hosts"), hosts);
                    if (!string.IsNullOrEmpty(entry.SecretName)) w.Name("secretName").String(entry.SecretName);
                    if (!string.IsNullOrEmpty(entry.SecretNamespace)) w.Name("secretNamespace").String(entry.SecretNamespace);
                    w.EndObject();
                }
                w.EndArray();
            }
            if (spec.Rules is { Count: > 0 } rules)
            {
                w.Name("rules").BeginArray();
                foreach (var rule in rules) WriteRule(w, rule);
                w.EndArray();
            }
            if (!string.IsNullOrEmpty(spec.HttpOption)) w.Name("httpOption").String(spec.HttpOption);
        }
        w.EndObject();
        return w.ToString();
    }

    private static void WriteRule(GoJsonWriter w, IngressRule rule)
    {
        w.BeginObject();
        if (rule.Hosts is { Count: > 0 } hosts) StringArray(w.Name("hosts"), hosts);
        if (!string.IsNullOrEmpty(rule.Visibility)) w.Name("visibility").String(rule.Visibility);
        if (rule.Http is { } http)
        {
            w.Name("http").BeginObject().Name("paths");
            if (http.Paths is null) w.Null();
            else
            {
                w.BeginArray();
                foreach (var path in http.Paths) WritePath(w, path);
                w.EndArray();
            }
            w.EndObject();
        }
        w.EndObject();
    }

    private static void WritePath(GoJsonWriter w, HTTPIngressPath path)
    {
        w.BeginObject();
        if (!string.IsNullOrEmpty(path.Path)) w.Name("path").String(path.Path);
        if (!string.IsNullOrEmpty(path.RewriteHost)) w.Name("rewriteHost").String(path.RewriteHost);
        if (path.Headers is { Count: > 0 } headers)
        {
            w.Name("headers").BeginObject();
            foreach (var key in headers.Keys.Order(StringComparer.Ordinal))
                w.Name(key).BeginObject().Name("exact").String(headers[key]?.Exact ?? "").EndObject();
            w.EndObject();
        }
        w.Name("splits");
        if (path.Splits is null) w.Null();
        else
        {
            w.BeginArray();
            foreach (var split in path.Splits)
            {
                w.BeginObject();
                w.Name("serviceNamespace").String(split.ServiceNamespace ?? "");
                w.Name("serviceName").String(split.ServiceName ?? "");
                w.Name("servicePort");
                WriteIntOrString(w, split.ServicePort);
                if (split.Percent is { } percent and not 0) w.Name("percent").Number(percent);
                if (split.AppendHeaders is { Count: > 0 } splitHeaders) StringMap(w.Name("appendHeaders"), splitHeaders);
                w.EndObject();
            }
            w.EndArray();
        }
        if (path.AppendHeaders is { Count: > 0 } append) StringMap(w.Name("appendHeaders"), append);
        w.EndObject();
    }

    private static void WriteIntOrString(GoJsonWriter w, IntOrString? value)
    {
        // The zero IntOrString is the integer 0.
        if (value is null) w.Number(0);
        else if (value.Value.IntValue is int i) w.Number(i);
        else w.String(value.Value.StringValue ?? "");
    }

    private static void StringArray(GoJsonWriter w, IEnumerable<string> values)
    {
        w.BeginArray();
        foreach (var value in values) w.String(value);
        w.EndArray();
    }

    private static void StringMap(GoJsonWriter w, IReadOnlyDictionary<string, string> map)
    {
        w.BeginObject();
        foreach (var key in map.Keys.Order(StringComparer.Ordinal)) w.Name(key).String(map[key]);
        w.EndObject();
    }
}
