using PhiSharp.Formats.Gguf;

namespace PhiSharp.Quantization;

/// <summary>
/// One tokenizer's GGUF arrays as llama.cpp's converter writes them (tokenizer.ggml.model, .pre, .tokens, .scores or
/// .merges, .token_type), and what the tokenizer's own files say of its special tokens, for when tokenizer_config.json
/// does not say it.
/// </summary>
internal sealed class GgufVocabularyArrays
{
    // llama.cpp's llama_token_type values.
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    /// <summary>"llama" (SentencePiece BPE, ranked by score) or "gpt2" (byte-level BPE, ranked by merges).</summary>
    public required string Model { get; init; }
    public required string Pre { get; init; }
    public required string[] Tokens { get; init; }
    public required int[] Types { get; init; }
    public float[]? Scores { get; init; }
    public string[]? Merges { get; init; }

    /// <summary>The id of a token given as text (tokenizer_config.json's bos_token …), or null when there is none.</summary>
    public required Func<string, int?> IdOf { get; init; }
    public int? BosId { get; init; }
    public int? EosId { get; init; }
    public int? UnknownId { get; init; }
    public bool AddBos { get; init; }
    public bool AddEos { get; init; }

    /// <summary>Rows past the tokenizer up to the embedding's: "[PAD&lt;id&gt;]", type UNUSED, as the converter fills them.</summary>
    public static (string[] Tokens, int[] Types) UnusedRows(int size) =>
        (Enumerable.Range(0, size).Select(i => $"[PAD{i}]").ToArray(), Enumerable.Repeat(Unused, size).ToArray());

    public void Write(GgufWriter writer)
    {
        writer.AddMetadata("tokenizer.ggml.model", Model);
        writer.AddMetadata("tokenizer.ggml.pre", Pre);
        writer.AddArray("tokenizer.ggml.tokens", Tokens);
        if (Scores is not null) writer.AddArray<float>("tokenizer.ggml.scores", Scores);
        writer.AddArray<int>("tokenizer.ggml.token_type", Types);
        if (Merges is not null) writer.AddArray("tokenizer.ggml.merges", Merges);
    }
}
