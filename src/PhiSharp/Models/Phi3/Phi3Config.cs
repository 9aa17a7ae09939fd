namespace PhiSharp.Models.Phi3;

/// <summary>LongRoPE (rope_scaling type "longrope", formerly "su"): per-frequency divisors for short and long
/// contexts and the attention factor that multiplies cos and sin in both regimes.</summary>
public sealed record LongRopeScaling(float[] ShortFactor, float[] LongFactor, int OriginalMaxPositions, float AttentionFactor)
{
    /// <summary>HF's default when the config gives none: sqrt(1 + ln(s) / ln(original)), s = max / original.</summary>
    public static float DefaultAttentionFactor(int maxPositions, int originalMaxPositions)
    {
        double scale = (double)maxPositions / originalMaxPositions;
        return scale <= 1 ? 1f : (float)Math.Sqrt(1 + Math.Log(scale) / Math.Log(originalMaxPositions));
    }
}

/// <summary>The hyper-parameters of a Phi-3-family decoder (Phi-3 mini/medium, Phi-3.5-mini, Phi-4-mini).</summary>
public sealed record Phi3Config
{
    public required int HiddenSize { get; init; }
    public required int IntermediateSize { get; init; }
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }
    public required int KeyValueHeadCount { get; init; }
    public required int VocabSize { get; init; }
    public required float RmsNormEpsilon { get; init; }
    public required float RopeTheta { get; init; }
    public required int MaxPositions { get; init; }

    /// <summary>Leading dimensions of each head that are rotated (all of them unless partial_rotary_factor &lt; 1).</summary>
    public required int RotaryDim { get; init; }

    /// <summary>Keys older than this many positions are masked (HF semantics); null when the model has no window.</summary>
    public int? SlidingWindow { get; init; }

    public LongRopeScaling? LongRope { get; init; }
    public bool TiedEmbeddings { get; init; }

    public int HeadDim => HiddenSize / HeadCount;
    public int QkvDim => (HeadCount + 2 * KeyValueHeadCount) * HeadDim;

    /// <summary>Checks the relations between fields that the forward pass relies on.</summary>
    public void Validate(string source)
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new ModelFormatException(source, $"invalid Phi-3 configuration: {what}");
        }
        Require(HiddenSize > 0 && IntermediateSize > 0 && LayerCount > 0 && VocabSize > 0, "sizes must be positive");
        Require(HeadCount > 0 && HiddenSize % HeadCount == 0, $"hidden size {HiddenSize} is not a multiple of {HeadCount} heads");
        Require(KeyValueHeadCount > 0 && HeadCount % KeyValueHeadCount == 0,
            $"{HeadCount} attention heads are not a multiple of {KeyValueHeadCount} key/value heads");
        Require(RotaryDim > 0 && RotaryDim <= HeadDim && RotaryDim % 2 == 0, $"rotary dimension {RotaryDim} does not fit head dimension {HeadDim}");
        Require(SlidingWindow is null or > 0, "sliding_window must be positive");
        if (LongRope is { } rope)
        {
            Require(rope.ShortFactor.Length == RotaryDim / 2 && rope.LongFactor.Length == RotaryDim / 2,
                $"LongRoPE factors have {rope.ShortFactor.Length}/{rope.LongFactor.Length} entries, {RotaryDim / 2} expected");
            Require(rope.OriginalMaxPositions > 0, "original_max_position_embeddings must be positive");
        }
    }
}
