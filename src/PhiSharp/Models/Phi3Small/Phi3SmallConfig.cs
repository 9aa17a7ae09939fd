namespace PhiSharp.Models.Phi3Small;

/// <summary>LongRoPE as Phi-3-small's positional_embedding.py applies it: per-frequency divisors for sequences within
/// the original context (short) and beyond it (long), each regime with its own cos/sin multiplier (mscale).</summary>
public sealed record Phi3SmallLongRope(float[] ShortFactor, float[] LongFactor, int OriginalMaxPositions,
    float ShortMscale, float LongMscale);

/// <summary>The hyper-parameters of Phi-3-small (configuration_phi3_small.py's Phi3SmallConfig).</summary>
public sealed record Phi3SmallConfig
{
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }
    public required int KeyValueHeadCount { get; init; }
    public required int VocabSize { get; init; }
    public required int MaxPositions { get; init; }
    public required float LayerNormEpsilon { get; init; }

    public required float RopeBase { get; init; }
    /// <summary>Positions are multiplied by this before the rotary angles (not with LongRoPE, as in the reference).</summary>
    public required float RopePositionScale { get; init; }
    public Phi3SmallLongRope? LongRope { get; init; }

    /// <summary>GEGLU clamp (gegelu_limit); float.PositiveInfinity when the config sets none.</summary>
    public required float GegeluLimit { get; init; }

    /// <summary>Layer i (0-based) is dense when (i + 1) is a multiple of this; 0 makes every layer block-sparse.</summary>
    public required int DenseAttentionEveryNLayers { get; init; }
    public required int BlockSize { get; init; }
    public required int LocalBlocks { get; init; }
    public required int VerticalStride { get; init; }
    public required bool SamePatternForAllHeads { get; init; }

    public required float MupEmbeddingMultiplier { get; init; }
    public required float MupWidthMultiplier { get; init; }
    public required float MupAttentionMultiplier { get; init; }
    public required bool MupUseScaling { get; init; }

    /// <summary>Ids whose logits are set to float32's minimum (the tokenizer's padding and unused special ids).</summary>
    public required int[] DummyTokenIds { get; init; }

    public int HeadDim => HiddenSize / HeadCount;
    public int QueriesPerKeyValue => HeadCount / KeyValueHeadCount;
    public int QkvDim => (HeadCount + 2 * KeyValueHeadCount) * HeadDim;

    /// <summary>muP: 1 / (head_dim / mup_attn_multiplier) with mup_use_scaling, else 1 / sqrt(head_dim).</summary>
    public float AttentionScale => MupUseScaling ? (float)(1.0 / (HeadDim / (double)MupAttentionMultiplier)) : (float)(1.0 / Math.Sqrt(HeadDim));

    public bool IsDenseLayer(int layer) => DenseAttentionEveryNLayers > 0 && (layer + 1) % DenseAttentionEveryNLayers == 0;

    public BlockSparsePattern SparsePattern => new(HeadCount, BlockSize, LocalBlocks, VerticalStride, SamePatternForAllHeads);

    /// <summary>Checks the relations between fields that the forward pass relies on.</summary>
    public void Validate(string source)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ModelFormatException(source, $"invalid Phi-3-small configuration: {what}");
        }
        Require(HiddenSize > 0 && IntermediateSize > 0 && LayerCount > 0 && VocabSize > 0 && MaxPositions > 0, "sizes must be positive");
        Require(HeadCount > 0 && HiddenSize % HeadCount == 0, $"hidden size {HiddenSize} is not a multiple of {HeadCount} heads");
        Require(HeadDim % 2 == 0, $"head dimension {HeadDim} must be even for rotary embedding");
        Require(KeyValueHeadCount > 0 && HeadCount % KeyValueHeadCount == 0,
            $"{HeadCount} attention heads are not a multiple of {KeyValueHeadCount} key/value heads");
        Require(BlockSize > 0 && LocalBlocks > 0 && VerticalStride > 0, "block-sparse block size, local blocks and vertical stride must be positive");
        Require(DenseAttentionEveryNLayers >= 0, "dense_attention_every_n_layers must not be negative");
        Require(GegeluLimit > 0, "gegelu_limit must be positive");
        foreach (int id in DummyTokenIds)
            Require(id >= 0 && id < VocabSize, $"dummy token id {id} is outside the vocabulary of {VocabSize}");
        if (LongRope is { } rope)
        {
            Require(rope.ShortFactor.Length == HeadDim / 2 && rope.LongFactor.Length == HeadDim / 2,
                $"LongRoPE factors have {rope.ShortFactor.Length}/{rope.LongFactor.Length} entries, {HeadDim / 2} expected");
            Require(rope.OriginalMaxPositions > 0, "original_max_position_embeddings must be positive");
        }
    }
}
