using YamlDotNet.RepresentationModel;

namespace Ingress.Local.Runner;

/// <summary>
/// The user's images.yaml: which local program stands for an image, because images cannot be pulled here.
/// Each top-level key is an image (compared without tag or digest when no exact entry exists); its value is
/// the command, either a list of words or one string split on spaces:
/// <code>
/// example.com/me/api: ["python3", "/home/me/api/app.py"]
/// example.com/me/web:v2: node /home/me/web/server.js
/// </code>
/// </summary>
public sealed class ImageMap
{
    private readonly Dictionary<string, IReadOnlyList<string>> _commands;

    public ImageMap(IReadOnlyDictionary<string, IReadOnlyList<string>> commands) => _commands = new(commands, StringComparer.Ordinal);

    public static ImageMap Empty { get; } = new(new Dictionary<string, IReadOnlyList<string>>());

    /// <summary>Reads images.yaml; a missing file is an empty map (the built-in samples still work).</summary>
    public static ImageMap Load(string path) => File.Exists(path) ? Parse(File.ReadAllText(path)) : Empty;

    public static ImageMap Parse(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root) return new(result);
        foreach (var (key, value) in root.Children)
        {
            var image = ((YamlScalarNode)key).Value ?? "";
            IReadOnlyList<string> command = value switch
            {
                YamlSequenceNode seq => seq.Children.Select(c => ((YamlScalarNode)c).Value ?? "").ToList(),
                YamlScalarNode s => (s.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
                _ => throw new FormatException($"images.yaml: {image}: the command must be a string or a list of strings"),
            };
            if (command.Count == 0) throw new FormatException($"images.yaml: {image}: the command is empty");
            result[image] = command;
        }
        return new(result);
    }

    /// <summary>The command for an image: an exact entry first, then the entry for the image without tag or digest.</summary>
    public IReadOnlyList<string>? CommandFor(string image)
    {
        if (_commands.TryGetValue(image, out var exact)) return exact;
        var bare = image;
        var at = bare.IndexOf('@');
        if (at >= 0) bare = bare[..at];
        var slash = bare.LastIndexOf('/');
        var colon = bare.LastIndexOf(':');
        if (colon > slash) bare = bare[..colon];
        return _commands.GetValueOrDefault(bare);
    }
}
