using PhiSharp.Formats.Gguf;

namespace PhiSharp.Models;

/// <summary>
/// How an architecture's Hugging Face checkpoint becomes the GGUF that llama.cpp's convert_hf_to_gguf.py writes for
/// it: which checkpoint tensor each GGUF tensor is, the tensors that exist only in GGUF (LongRoPE factors), and the
/// architecture's metadata. The tokenizer's metadata and general.quantization_version are added by the quantizer.
/// </summary>
internal sealed record GgufConversion
{
    /// <summary>Blocks in the model (llama.cpp's per-layer type rules count against them).</summary>
    public required int LayerCount { get; init; }

    /// <summary>Rows of the embedding table: the tokenizer's metadata is padded to it.</summary>
    public required int VocabSize { get; init; }

    /// <summary>GGUF tensor name → checkpoint tensor name, in the order the file lists them.</summary>
    public required IReadOnlyList<(string Gguf, string HuggingFace)> Tensors { get; init; }

    /// <summary>Float32 vectors written as they are, after <see cref="Tensors"/>.</summary>
    public IReadOnlyList<(string Gguf, float[] Values)> ComputedTensors { get; init; } = [];

    /// <summary>Writes general.architecture, general.type, general.name (the model's name, given), general.file_type
    /// (the llama_ftype, given) and the architecture's keys, in the converter's order.</summary>
    public required Action<GgufWriter, string, uint> WriteMetadata { get; init; }

    /// <summary>The keys every decoder's converter writes first: general.architecture, general.type, general.name and
    /// {architecture}.context_length.</summary>
    public static void WriteIdentity(GgufWriter writer, string architecture, string name, int contextLength)
    {
        writer.AddMetadata("general.architecture", architecture);
        writer.AddMetadata("general.type", "model");
        writer.AddMetadata("general.name", name);
        writer.AddMetadata(architecture + ".context_length", (uint)contextLength);
    }

    /// <summary>The decoder's sizes, in the converter's order: embedding and feed-forward lengths, block count, query
    /// and key/value head counts.</summary>
    public static void WriteSizes(GgufWriter writer, string architecture, int hidden, int feedForward, int layers, int heads, int keyValueHeads)
    {
        string a = architecture + ".";
        writer.AddMetadata(a + "embedding_length", (uint)hidden);
        writer.AddMetadata(a + "feed_forward_length", (uint)feedForward);
        writer.AddMetadata(a + "block_count", (uint)layers);
        writer.AddMetadata(a + "attention.head_count", (uint)heads);
        writer.AddMetadata(a + "attention.head_count_kv", (uint)keyValueHeads);
    }
}
