using PhiSharp.Models.Decoder;

namespace PhiSharp.Models;

/// <summary>
/// Which member of the Phi family a model is, for `phi info` ("Phi-4-mini-reasoning"), as distinct from
/// <see cref="ModelName"/> (what the user calls the file). The configuration decides: architecture, hidden size,
/// layers, attention and KV heads, vocabulary, and the context (4k/8k vs 128k; Phi-4's 16k vs the reasoning models'
/// 32k). Names decide only between members that share a configuration: Phi-3-mini-128k vs Phi-3.5-mini, Phi-4-mini
/// vs Phi-4-mini-reasoning, Phi-4-reasoning vs its -plus, Phi-1 vs Phi-1.5, Phi-3-vision vs Phi-3.5-vision. Those names are the file's or folder's
/// and GGUF's general.name, compared without case, spaces or dashes ("Phi 3.5 Mini" and "phi-3.5-mini" agree;
/// "phi-1_5" reads as phi-1.5). Any other shape is "unknown (architecture)".
/// </summary>
internal static class FamilyMember
{
    /// <param name="architecture">The architecture as the file names it (GGUF general.architecture or the model class).</param>
    /// <param name="family">The registry's GGUF name for it ("phi3", "phi2"), which the rules below key on.</param>
    public static string Identify(string architecture, string family, DecoderShape s, IEnumerable<string> names)
    {
        var said = names.Select(Normalize).ToArray();
        bool Says(string word) => said.Any(n => n.Contains(word, StringComparison.Ordinal));
        bool Shape(int hidden, int layers, int heads, int kvHeads, int vocab) =>
            s.HiddenSize == hidden && s.LayerCount == layers && s.HeadCount == heads && s.KeyValueHeadCount == kvHeads && s.VocabSize == vocab;
        string Context(int shortContext, string shortName) => s.MaxPositions <= shortContext ? shortName : "128k";

        string? member = family switch
        {
            "phi3" when Shape(3072, 32, 32, 32, 32064) =>
                s.MaxPositions > 4096 && Says("phi3.5") ? "Phi-3.5-mini" : $"Phi-3-mini-{Context(4096, "4k")}",
            "phi3" when Shape(5120, 40, 40, 10, 32064) => $"Phi-3-medium-{Context(4096, "4k")}",
            "phi3" when Shape(5120, 40, 40, 10, 100352) =>
                Says("reasoningplus") ? "Phi-4-reasoning-plus"
                : Says("reasoning") || s.MaxPositions == 32768 ? "Phi-4-reasoning"
                : "Phi-4",
            "phi3" when Shape(3072, 32, 24, 8, 200064) => Says("reasoning") ? "Phi-4-mini-reasoning" : "Phi-4-mini",
            "phi3v" when Shape(3072, 32, 32, 32, 32064) => Says("phi3.5") ? "Phi-3.5-vision" : "Phi-3-vision",
            "phi3small" when Shape(4096, 32, 32, 8, 100352) => $"Phi-3-small-{Context(8192, "8k")}",
            "phi2" when Shape(2560, 32, 32, 32, 51200) => "Phi-2",
            "phi2" when Shape(2048, 24, 32, 32, 51200) =>
                Says("phi1.5") ? "Phi-1.5" : Says("phi1") ? "Phi-1" : "Phi-1 or Phi-1.5",
            _ => null,
        };
        return member ?? $"unknown ({architecture})";
    }

    /// <summary>"Phi-3.5-mini-instruct", "Phi 3.5 Mini" → "phi3.5miniinstruct", "phi3.5mini"; "phi-1_5" → "phi1.5".</summary>
    static string Normalize(string name) =>
        new(name.ToLowerInvariant().Replace('_', '.').Where(c => c is not (' ' or '-')).ToArray());
}
