namespace PhiSharp.Hub;

/// <summary>Picks the GGUF file of a quantization from a repository's file list, by the names GGUF repositories use:
/// <c>…-Q8_0.gguf</c>, <c>….q8_0.gguf</c>, and Microsoft's <c>…-q4.gguf</c> (Q4_K_M) and <c>…-fp16.gguf</c>.</summary>
static class GgufChooser
{
    public static bool Matches(string file, string quantization)
    {
        string name = Path.GetFileNameWithoutExtension(file).ToLowerInvariant();
        IEnumerable<string> spellings = quantization switch
        {
            "q4_k_m" => ["q4_k_m", "q4"],
            "f16" => ["f16", "fp16"],
            _ => [quantization],
        };
        return spellings.Any(s => name == s || (name.EndsWith(s) && name[^(s.Length + 1)] is '-' or '.' or '_'));
    }

    /// <summary>The model file for <paramref name="quantization"/>, or null. A repository with a single model file gives
    /// it when no quantization was asked for. Vision projectors (mmproj) and split parts are never chosen.</summary>
    public static string? Choose(IEnumerable<string> files, string quantization, bool quantizationGiven)
    {
        var models = files.Where(f => f.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase)
                                      && !Path.GetFileName(f).Contains("mmproj", StringComparison.OrdinalIgnoreCase)).ToList();
        return models.FirstOrDefault(f => Matches(f, quantization))
               ?? (!quantizationGiven && models.Count == 1 ? models[0] : null);
    }
}
