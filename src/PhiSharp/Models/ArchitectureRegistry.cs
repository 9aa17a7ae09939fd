using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Models.Bert;
using PhiSharp.Models.Phi2;
using PhiSharp.Models.Phi3;
using PhiSharp.Models.Phi3Small;

namespace PhiSharp.Models;

/// <summary>
/// The architectures PhiSharp runs, found by the name a file gives: GGUF's general.architecture, or config.json's
/// "architectures" (then "model_type", for the architectures that accept it). Anything else is an
/// <see cref="UnsupportedModelException"/> that names the architecture and lists the supported ones.
/// </summary>
internal static class ArchitectureRegistry
{
    public static IReadOnlyList<ModelArchitecture> All { get; } =
    [
        new Phi3Architecture(),
        new Phi2Architecture(),
        new Phi3SmallArchitecture(),
        new Phi3Vision.Phi3VisionArchitecture(),
        new BertEncoderArchitecture(),
    ];

    public static ModelArchitecture ForGguf(GgufFile gguf)
    {
        string name = gguf.GetString("general.architecture");
        return All.FirstOrDefault(a => a.GgufNames.Contains(name))
            ?? throw new UnsupportedModelException(gguf.Path,
                $"architecture '{name}' is not supported (supported: {string.Join(", ", All.SelectMany(a => a.GgufNames))})");
    }

    public static ModelArchitecture ForHuggingFace(HfModelConfig config)
    {
        string? type = config.TryGetString("model_type", out string t) ? t : null;
        return All.FirstOrDefault(a => config.Architectures.Any(a.HfArchitectures.Contains))
            ?? All.FirstOrDefault(a => type is not null && a.HfModelTypes.Contains(type))
            ?? throw new UnsupportedModelException(config.FilePath,
                $"architecture '{HfName(config)}' is not supported (supported: {string.Join(", ", All.SelectMany(a => a.HfArchitectures))})");
    }

    /// <summary>How a config.json names its architecture: its first model class, else its model_type.</summary>
    public static string HfName(HfModelConfig config) =>
        config.Architectures.FirstOrDefault() ?? (config.TryGetString("model_type", out string type) ? type : "(none given)");
}
