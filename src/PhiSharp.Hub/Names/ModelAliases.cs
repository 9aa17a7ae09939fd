namespace PhiSharp.Hub;

/// <summary>
/// One short name for a Microsoft model. Where Microsoft publishes GGUF files (<see cref="GgufRepo"/>) the files it
/// holds are taken as they are; any other quantization is converted by <c>phi quantize</c> from the safetensors
/// repository (<see cref="SourceRepo"/>).
/// </summary>
/// <param name="Name">The alias, with its variant after a colon (phi3:128k).</param>
/// <param name="GgufFiles">Quantization tag → file in <see cref="GgufRepo"/>.</param>
public sealed record ModelAlias(string Name, string SourceRepo, string? GgufRepo = null,
    IReadOnlyDictionary<string, string>? GgufFiles = null);

/// <summary>The alias table; docs/MODELS.md lists the same entries.</summary>
public static class ModelAliases
{
    public static readonly IReadOnlyList<ModelAlias> All =
    [
        // microsoft/Phi-3-mini-4k-instruct-gguf holds a Q4_K_M file named -q4 and an F16 file named -fp16.
        new("phi3", "microsoft/Phi-3-mini-4k-instruct", "microsoft/Phi-3-mini-4k-instruct-gguf",
            new Dictionary<string, string> { ["q4_k_m"] = "Phi-3-mini-4k-instruct-q4.gguf", ["f16"] = "Phi-3-mini-4k-instruct-fp16.gguf" }),
        new("phi3:128k", "microsoft/Phi-3-mini-128k-instruct"),
        new("phi3.5", "microsoft/Phi-3.5-mini-instruct"),
        new("phi3-medium", "microsoft/Phi-3-medium-4k-instruct"),
        new("phi3-medium:128k", "microsoft/Phi-3-medium-128k-instruct"),
        // Phi-3-small's repositories have no tokenizer.json: the conversion reads cl100k_base.tiktoken.
        new("phi3-small", "microsoft/Phi-3-small-8k-instruct"),
        new("phi3-small:128k", "microsoft/Phi-3-small-128k-instruct"),
        new("phi4-mini", "microsoft/Phi-4-mini-instruct"),
        // microsoft/phi-4-gguf holds phi-4-q4.gguf (Q4_K_M) and phi-4-fp16.gguf.
        new("phi4", "microsoft/phi-4", "microsoft/phi-4-gguf",
            new Dictionary<string, string> { ["q4_k_m"] = "phi-4-q4.gguf", ["f16"] = "phi-4-fp16.gguf" }),
        new("phi2", "microsoft/phi-2"),
    ];

    public static ModelAlias? Find(string name) => All.FirstOrDefault(a => a.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
}
