namespace PhiSharp.Models.Decoder;

/// <summary>The sizes the shared decoder allocates for: the KV cache, and each session's scratch per token.</summary>
internal sealed record DecoderShape
{
    public required int HiddenSize { get; init; }
    public required int LayerCount { get; init; }
    public required int HeadCount { get; init; }
    public required int KeyValueHeadCount { get; init; }
    public required int HeadDim { get; init; }
    public required int VocabSize { get; init; }
    /// <summary>The longest sequence the model was trained for (max_position_embeddings).</summary>
    public required int MaxPositions { get; init; }

    /// <summary>Floats the head writes per position: the vocabulary's logits, or an encoder's hidden state.</summary>
    public required int OutputWidth { get; init; }

    /// <summary>Floats per token of the attention's input projections (q, k and v together).</summary>
    public required int QkvWidth { get; init; }

    /// <summary>Floats per token of the feed-forward's first projections (gate and up together where there are two).</summary>
    public required int FeedForwardWidth { get; init; }

    /// <summary>Floats per token after the feed-forward's activation; 0 when the activation works in place.</summary>
    public int ActivatedWidth { get; init; }

    /// <summary>Rotated pairs per head; 0 without rotary positions.</summary>
    public int RotaryPairs { get; init; }
}
