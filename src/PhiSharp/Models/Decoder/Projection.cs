using PhiSharp.Tensors;

namespace PhiSharp.Models.Decoder;

/// <summary>A projection and its bias, when the architecture has one.</summary>
internal readonly record struct Projection(WeightTensor Weight, float[]? Bias);

/// <summary>A LayerNorm's scale and shift.</summary>
internal readonly record struct LayerNormWeights(float[] Weight, float[] Bias);
