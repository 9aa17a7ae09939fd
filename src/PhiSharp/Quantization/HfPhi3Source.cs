using System.Runtime.InteropServices;
using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Models.Phi3;
using PhiSharp.Tensors;

namespace PhiSharp.Quantization;

/// <summary>
/// A Hugging Face Phi-3 folder (config.json, safetensors in BF16 / F16 / F32, tokenizer.json) seen as the GGUF that
/// llama.cpp's convert_hf_to_gguf.py makes of it: tensors under llama.cpp's <c>phi3</c> names, vectors as F32, the
/// LongRoPE factors as <c>rope_factors_short/long.weight</c>, and the <c>phi3.*</c> keys that converter writes.
/// The tokenizer metadata comes from <see cref="HfTokenizerMetadata"/>.
/// </summary>
internal sealed unsafe class HfPhi3Source : IQuantizationSource
{
    readonly string _folder;
    readonly SafetensorsCheckpoint _weights;
    readonly Phi3Config _config;
    readonly Dictionary<string, string> _hfNameByGguf = new(StringComparer.Ordinal);
    readonly Dictionary<string, float[]> _synthesized = new(StringComparer.Ordinal);
    readonly List<byte[]> _pinned = [];

    public IReadOnlyList<(string Name, long[] Dims, GgmlType Type)> Tensors { get; }
    public int LayerCount => _config.LayerCount;
    public long ByteCount { get; }

    HfPhi3Source(string folder, SafetensorsCheckpoint weights, Phi3Config config)
    {
        _folder = folder;
        _weights = weights;
        _config = config;
        var names = Phi3TensorNames.HuggingFace;
        var ggufNames = Phi3TensorNames.Gguf;
        var map = new List<(string Hf, string Gguf)>
        {
            (names.Embedding, ggufNames.Embedding), (names.OutputNorm, ggufNames.OutputNorm),
        };
        if (!config.TiedEmbeddings) map.Add((names.Output, ggufNames.Output));
        for (int i = 0; i < config.LayerCount; i++)
        {
            map.Add((string.Format(names.AttentionNorm, i), string.Format(ggufNames.AttentionNorm, i)));
            map.Add((string.Format(names.Qkv, i), string.Format(ggufNames.Qkv, i)));
            map.Add((string.Format(names.AttentionOutput, i), string.Format(ggufNames.AttentionOutput, i)));
            map.Add((string.Format(names.FeedForwardNorm, i), string.Format(ggufNames.FeedForwardNorm, i)));
            map.Add((string.Format(names.GateUp, i), string.Format(ggufNames.GateUp, i)));
            map.Add((string.Format(names.Down, i), string.Format(ggufNames.Down, i)));
        }

        var tensors = new List<(string, long[], GgmlType)>();
        foreach (var (hf, gguf) in map)
        {
            if (!weights.TryGetTensor(hf, out WeightTensor t))
                throw new ModelFormatException(folder, $"tensor '{hf}' is missing from the safetensors files");
            _hfNameByGguf[gguf] = hf;
            // convert_hf_to_gguf.py stores vectors (norms) as F32 whatever the checkpoint's type.
            tensors.Add((gguf, t.Dims, t.Dims.Length == 1 ? GgmlType.F32 : t.Type));
        }
        if (config.LongRope is { } rope)
        {
            _synthesized["rope_factors_long.weight"] = rope.LongFactor;
            _synthesized["rope_factors_short.weight"] = rope.ShortFactor;
            tensors.Add(("rope_factors_long.weight", [rope.LongFactor.Length], GgmlType.F32));
            tensors.Add(("rope_factors_short.weight", [rope.ShortFactor.Length], GgmlType.F32));
        }
        Tensors = tensors;
        ByteCount = map.Sum(m => weights.TryGetTensor(m.Hf, out var t) ? t.ByteLength : 0);
    }

    /// <summary>Opens <paramref name="folder"/>; only Phi3ForCausalLM checkpoints are accepted.</summary>
    public static HfPhi3Source Open(string folder)
    {
        var configFile = HfModelConfig.Load(folder);
        if (!configFile.Architectures.Contains("Phi3ForCausalLM"))
            throw new UnsupportedModelException(configFile.FilePath,
                $"architecture '{configFile.Architectures.FirstOrDefault() ?? configFile.ModelType}' cannot be converted (supported: Phi3ForCausalLM)");
        var config = Phi3ConfigReader.FromHuggingFace(configFile);
        var weights = SafetensorsCheckpoint.Open(folder, new TensorFileOptions { UseMemoryMap = true });
        try
        {
            return new HfPhi3Source(folder, weights, config);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public void WriteMetadata(GgufWriter writer, QuantizationScheme scheme)
    {
        const string a = "phi3.";
        var c = _config;
        writer.AddMetadata("general.architecture", "phi3");
        writer.AddMetadata("general.type", "model");
        writer.AddMetadata("general.name", Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(_folder))));
        writer.AddMetadata(a + "context_length", (uint)c.MaxPositions);
        writer.AddMetadata(a + "rope.scaling.original_context_length", (uint)(c.LongRope?.OriginalMaxPositions ?? c.MaxPositions));
        writer.AddMetadata(a + "embedding_length", (uint)c.HiddenSize);
        writer.AddMetadata(a + "feed_forward_length", (uint)c.IntermediateSize);
        writer.AddMetadata(a + "block_count", (uint)c.LayerCount);
        writer.AddMetadata(a + "attention.head_count", (uint)c.HeadCount);
        writer.AddMetadata(a + "attention.head_count_kv", (uint)c.KeyValueHeadCount);
        writer.AddMetadata(a + "attention.layer_norm_rms_epsilon", c.RmsNormEpsilon);
        writer.AddMetadata(a + "rope.dimension_count", (uint)c.RotaryDim);
        writer.AddMetadata(a + "rope.freq_base", c.RopeTheta);
        writer.AddMetadata("general.file_type", scheme.FileType);
        writer.AddMetadata(a + "attention.sliding_window", (uint)(c.SlidingWindow ?? 0));
        if (c.LongRope is { } rope) writer.AddMetadata(a + "rope.scaling.attn_factor", rope.AttentionFactor);
        HfTokenizerMetadata.Write(writer, _folder, c.VocabSize);
        writer.AddMetadata("general.quantization_version", GgufQuantizer.QuantizationVersion);
    }

    public WeightTensor GetTensor(string name)
    {
        if (_synthesized.TryGetValue(name, out float[]? values))
        {
            // Pinned for the life of the source: the quantizer reads it through a pointer like any mapped tensor.
            var pinned = GC.AllocateArray<byte>(values.Length * sizeof(float), pinned: true);
            MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(pinned);
            _pinned.Add(pinned);
            return new WeightTensor(name, GgmlType.F32, [values.Length], (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0), pinned.Length);
        }
        return _weights.TryGetTensor(_hfNameByGguf[name], out WeightTensor tensor)
            ? tensor
            : throw new ModelFormatException(_folder, $"tensor '{_hfNameByGguf[name]}' is missing");
    }

    public void Release(string name, WeightTensor tensor)
    {
        if (!_synthesized.ContainsKey(name)) MappedPages.Release(tensor.Data, tensor.ByteLength); // factors are not mapped
    }

    public void Dispose() => _weights.Dispose();
}
