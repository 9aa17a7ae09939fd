using PhiSharp.Tensors;

namespace PhiSharp.Quantization;

/// <summary>One tensor to be written: where it comes from and what it becomes.</summary>
public sealed record TensorPlan(string Name, long[] Dims, GgmlType SourceType, GgmlType TargetType);

/// <summary>
/// Chooses each tensor's type the way llama.cpp's quantizer does (src/llama-quant.cpp, llama_tensor_get_type), for the
/// schemes PhiSharp writes: which tensors may be quantized at all (norms and vectors stay as they are), the Q4_K_M mix
/// (attention V / fused QKV and FFN down in Q6_K on the layers use_more_bits picks), output.weight (and tied token
/// embeddings) in Q6_K, and the fallbacks for rows that are not a whole number of blocks. Tensors are visited in
/// llama.cpp's order (layer, then name), because the per-layer rules count tensors as they go.
/// </summary>
public static class TensorTypeRules
{
    /// <summary>llama.cpp's tensor order: tensors outside blocks first, then by block number, each group by name.</summary>
    public static int CompareNames(string a, string b)
    {
        int la = LayerOf(a), lb = LayerOf(b);
        return la != lb ? la.CompareTo(lb) : string.CompareOrdinal(a, b);
    }

    /// <summary>The plan for every tensor, in llama.cpp's order.</summary>
    /// <param name="tensors">Name, ggml-order dims and stored type of each tensor.</param>
    /// <param name="layerCount">The model's block count (llama.cpp's n_layer).</param>
    public static IReadOnlyList<TensorPlan> Plan(IEnumerable<(string Name, long[] Dims, GgmlType Type)> tensors,
        int layerCount, QuantizationScheme scheme)
    {
        var ordered = tensors.OrderBy(t => t.Name, Comparer<string>.Create(CompareNames)).ToList();
        bool tiedEmbeddings = !ordered.Any(t => t.Name == "output.weight");
        int attentionVCount = ordered.Count(t => IsAttentionVLike(t.Name));
        int attentionVSeen = 0, ffnDownSeen = 0;

        var plans = new List<TensorPlan>(ordered.Count);
        foreach (var (name, dims, type) in ordered)
        {
            GgmlType target = type;
            if (AllowsQuantization(name, dims))
            {
                target = scheme.DefaultType;
                if (scheme.IsQuantized)
                {
                    if (!scheme.Pure)
                        target = Mix(name, dims[0], target, scheme, tiedEmbeddings,
                            ref attentionVSeen, attentionVCount, ref ffnDownSeen, layerCount);
                    target = Fallback(name, dims[0], target);
                }
            }
            plans.Add(new TensorPlan(name, dims, type, target));
        }
        return plans;
    }

    /// <summary>llama.cpp quantizes only matrices named "*weight", never norms, expert routers or position tables.</summary>
    static bool AllowsQuantization(string name, long[] dims)
    {
        int nDims = dims.Length;
        while (nDims > 1 && dims[nDims - 1] == 1) nDims--; // ggml_n_dims ignores trailing ones
        return nDims >= 2
            && name.EndsWith("weight", StringComparison.Ordinal)
            && !name.Contains("_norm.weight", StringComparison.Ordinal)
            && !name.Contains("ffn_gate_inp.weight", StringComparison.Ordinal)
            && name != "position_embd.weight" && name != "token_types.weight";
    }

    static GgmlType Mix(string name, long rowLength, GgmlType type, QuantizationScheme scheme, bool tiedEmbeddings,
        ref int attentionVSeen, int attentionVCount, ref int ffnDownSeen, int layerCount)
    {
        bool q4KM = scheme.Name == "q4_k_m";
        if (name == "output.weight" || (tiedEmbeddings && name == "token_embd.weight"))
        {
            // The output projection is the most sensitive matrix: Q6_K unless the scheme is already 8-bit.
            if (rowLength % GgmlTypeInfo.BlockSize(type) != 0) return GgmlType.Q8_0;
            return type != GgmlType.Q8_0 ? GgmlType.Q6_K : type;
        }
        if (name == "token_embd.weight") return type;
        if (IsAttentionVLike(name))
        {
            if (q4KM && UseMoreBits(attentionVSeen, attentionVCount)) type = GgmlType.Q6_K;
            attentionVSeen++;
            return type;
        }
        if (name.Contains("ffn_down", StringComparison.Ordinal))
        {
            if (q4KM && UseMoreBits(ffnDownSeen, layerCount)) type = GgmlType.Q6_K;
            ffnDownSeen++;
        }
        return type;
    }

    /// <summary>llama.cpp's choice of layers that get more bits: the first and last eighth, and every third between.</summary>
    static bool UseMoreBits(int layer, int layers) =>
        layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;

    /// <summary>Rows that are not a whole number of blocks take llama.cpp's fallback type (Q4_K → Q5_0, Q6_K → Q8_0),
    /// or F16 when even that does not fit.</summary>
    static GgmlType Fallback(string name, long rowLength, GgmlType type)
    {
        if (rowLength % GgmlTypeInfo.BlockSize(type) == 0) return type;
        GgmlType fallback = type switch
        {
            GgmlType.Q4_K => GgmlType.Q5_0,
            GgmlType.Q6_K => GgmlType.Q8_0,
            _ => throw new UnsupportedModelException(null,
                $"tensor '{name}': rows of {rowLength} values are not a multiple of {GgmlTypeInfo.BlockSize(type)}, " +
                $"as {GgmlTypeInfo.Name(type)} needs, and llama.cpp defines no fallback for it"),
        };
        return rowLength % GgmlTypeInfo.BlockSize(fallback) == 0 ? fallback : GgmlType.F16;
    }

    static bool IsAttentionVLike(string name) =>
        name.Contains("attn_v.weight", StringComparison.Ordinal) || name.Contains("attn_qkv.weight", StringComparison.Ordinal)
        || name.Contains("attn_kv_b.weight", StringComparison.Ordinal);

    static int LayerOf(string name)
    {
        if (!name.StartsWith("blk.", StringComparison.Ordinal)) return -1;
        int end = name.IndexOf('.', 4);
        return end > 4 && int.TryParse(name.AsSpan(4, end - 4), out int layer) ? layer : -1;
    }
}
