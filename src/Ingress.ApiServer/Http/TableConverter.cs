using System.Globalization;
using System.Text.Json.Nodes;
using Ingress.ApiServer.Storage;

namespace Ingress.ApiServer.Http;

/// <summary>Server-side Table responses (meta.k8s.io/v1) for <c>kubectl get</c>, from printer columns.</summary>
internal static class TableConverter
{
    public const string ContentType = "application/json;as=Table;v=v1;g=meta.k8s.io";

    public static bool Wanted(string accept) => accept.Contains("as=Table", StringComparison.Ordinal);

    private static IReadOnlyList<PrinterColumn> Columns(ResourceType rt) =>
        rt.Columns.Count > 0 ? rt.Columns : [new PrinterColumn("Age", "date", ".metadata.creationTimestamp")];

    public static JsonObject Build(ResourceType rt, IEnumerable<StoredObject> items, long rv, string? continueToken, string includeObject, bool withColumns = true)
    {
        var columns = Columns(rt);
        var defs = new JsonArray(new JsonObject
        {
            ["name"] = "Name", ["type"] = "string", ["format"] = "name",
            ["description"] = "Name must be unique within a namespace.", ["priority"] = 0,
        });
        foreach (var c in columns)
            defs.Add(new JsonObject { ["name"] = c.Name, ["type"] = c.Type == "date" ? "string" : c.Type, ["format"] = c.Format, ["description"] = c.Description, ["priority"] = c.Priority });
        var rows = new JsonArray();
        foreach (var item in items) rows.Add(Row(rt, columns, item, includeObject));
        var meta = new JsonObject { ["resourceVersion"] = rv.ToString() };
        if (!string.IsNullOrEmpty(continueToken)) meta["continue"] = continueToken;
        return new JsonObject
        {
            ["kind"] = "Table", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = meta,
            ["columnDefinitions"] = withColumns ? defs : new JsonArray(), ["rows"] = rows,
        };
    }

    private static JsonObject Row(ResourceType rt, IReadOnlyList<PrinterColumn> columns, StoredObject item, string includeObject)
    {
        var obj = item.ToJsonObject();
        var cells = new JsonArray(JsonValue.Create(item.Name));
        foreach (var c in columns)
        {
            var raw = c.Compute is not null ? c.Compute(obj) : JsonPathLite.Evaluate(obj, c.JsonPath);
            cells.Add(Cell(c, raw));
        }
        var row = new JsonObject { ["cells"] = cells };
        if (includeObject == "Object") row["object"] = obj;
        else if (includeObject != "None")
            row["object"] = new JsonObject
            {
                ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1",
                ["metadata"] = obj["metadata"]?.DeepClone(),
            };
        return row;
    }

    private static JsonNode? Cell(PrinterColumn c, object? raw)
    {
        var node = raw switch
        {
            null => null,
            JsonNode n => n.DeepClone(),
            int i => JsonValue.Create(i),
            long l => JsonValue.Create(l),
            string s => JsonValue.Create(s),
            _ => JsonValue.Create(raw.ToString()),
        };
        if (node is null) return null;
        if (c.Type == "date" && node is JsonValue v && v.TryGetValue<string>(out var ts) &&
            DateTime.TryParse(ts, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var when))
            return HumanDuration(DateTime.UtcNow - when);
        if (node is JsonObject or JsonArray) return node.ToJsonString();
        return node;
    }

    /// <summary>The real server's humanised age: 45s, 5m10s, 3h, 2d5h, 400d, 3y20d.</summary>
    public static string HumanDuration(TimeSpan d)
    {
        var seconds = (long)d.TotalSeconds;
        if (seconds < -1) return "<invalid>";
        if (seconds < 0) return "0s";
        if (seconds < 60 * 2) return $"{seconds}s";
        var minutes = seconds / 60;
        if (minutes < 10) return seconds % 60 == 0 ? $"{minutes}m" : $"{minutes}m{seconds % 60}s";
        if (minutes < 60 * 3) return $"{minutes}m";
        var hours = minutes / 60;
        if (hours < 8) return minutes % 60 == 0 ? $"{hours}h" : $"{hours}h{minutes % 60}m";
        if (hours < 48) return $"{hours}h";
        if (hours < 24 * 8) return hours % 24 == 0 ? $"{hours / 24}d" : $"{hours / 24}d{hours % 24}h";
        if (hours < 24 * 365 * 2) return $"{hours / 24}d";
        if (hours < 24 * 365 * 8) { var y = hours / 24 / 365; var dd = hours / 24 % 365; return dd == 0 ? $"{y}y" : $"{y}y{dd}d"; }
        return $"{hours / 24 / 365}y";
    }
}
