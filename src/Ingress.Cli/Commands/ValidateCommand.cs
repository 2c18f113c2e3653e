using System.CommandLine;
using System.Text.Json.Nodes;
using Ingress.Autoscaling.Configuration;
using Ingress.Serving.Webhook;
using Ingress.Serving.Yaml;
using ServingFieldError = Ingress.Serving.Validation.FieldError;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress validate [--system-namespace NS] -f FILE|DIR|- ...</c>: applies Knative's defaulting and
/// validation (the admission webhooks, offline) to every object, prints each invalid object's errors in
/// Knative's format and exits 1 if any object is invalid. Config maps of the system namespace among the inputs
/// are validated too and configure the validation of the other objects (docs/serving.md).</summary>
public static class ValidateCommand
{
    public static Command Create()
    {
        var command = new Command("validate", "Apply Knative defaulting and validation to manifests, offline.");
        var files = new Option<string[]>("--filename", "-f")
        {
            Description = "File, directory (its .yaml/.yml/.json files) or - for stdin. Repeatable.",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var systemNamespace = new Option<string>("--system-namespace")
        {
            Description = "Namespace whose config maps (config-network, config-domain, ...) configure validation.",
            DefaultValueFactory = _ => "knative-serving",
        };
        command.Options.Add(files);
        command.Options.Add(systemNamespace);
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            var error = parse.InvocationConfiguration.Error;
            var inputs = new List<SourcedObject>();
            foreach (var path in parse.GetValue(files) ?? [])
            {
                try
                {
                    foreach (var (source, text) in Read(path, Console.In))
                        foreach (var node in YamlJson.ParseAll(text))
                        {
                            if (node is JsonObject obj) inputs.Add(new SourcedObject(source, obj));
                            else error.WriteLine($"error: {source}: a document is not an object");
                        }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
                {
                    error.WriteLine($"error: {path}: {e.Message}");
                    return 1;
                }
            }

            var validator = new OfflineValidator
            {
                SystemNamespace = parse.GetValue(systemNamespace) ?? "knative-serving",
                ValidateAutoscalerConfig = data => AutoscalerConfig.TryParse(data, out _, out var err) ? null : err,
                AnnotationValidatorFactory = data =>
                {
                    var config = data is not null && AutoscalerConfig.TryParse(data, out var parsed, out _) && parsed is not null ? parsed : AutoscalerConfig.Default;
                    return annotations => Ingress.Local.AutoscalingAnnotationErrors.ToServing(AutoscalingAnnotations.Validate(annotations, config));
                },
            };
            var invalid = 0;
            foreach (var r in validator.Validate(inputs))
            {
                switch (r.Outcome)
                {
                    case ValidationOutcome.Valid:
                        output.WriteLine($"{r.Source}: {r.Describe()}: valid");
                        break;
                    case ValidationOutcome.Skipped:
                        output.WriteLine($"{r.Source}: {r.Describe()}: skipped (not a kind ingress validate checks)");
                        break;
                    default:
                        invalid++;
                        output.WriteLine($"{r.Source}: {r.Describe()}: invalid");
                        output.WriteLine(r.Errors);
                        break;
                }
            }
            return invalid > 0 ? 1 : 0;
        });
        return command;
    }


    private static IEnumerable<(string Source, string Text)> Read(string path, TextReader stdin)
    {
        if (path == "-")
        {
            yield return ("<stdin>", stdin.ReadToEnd());
            yield break;
        }
        if (Directory.Exists(path))
        {
            foreach (var f in Directory.GetFiles(path).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal)
                         || f.EndsWith(".yml", StringComparison.Ordinal) || f.EndsWith(".json", StringComparison.Ordinal))
                         .OrderBy(f => f, StringComparer.Ordinal))
                yield return (f, File.ReadAllText(f));
            yield break;
        }
        yield return (path, File.ReadAllText(path));
    }
}
