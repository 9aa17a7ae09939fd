using PhiSharp.Formats;
using PhiSharp.Models.Decoder;
using PhiSharp.Tensors;
using static PhiSharp.Models.WeightBinding;

namespace PhiSharp.Models.Phi3Vision;

internal sealed class ClipLayerWeights
{
    public required LayerNormWeights AttentionNorm { get; init; }
    public required Projection Query { get; init; }
    public required Projection Key { get; init; }
    public required Projection Value { get; init; }
    public required Projection Output { get; init; }
    public required LayerNormWeights FeedForwardNorm { get; init; }
    public required Projection Up { get; init; }
    public required Projection Down { get; init; }
}

/// <summary>
/// The CLIP ViT tower of a Phi-3-vision checkpoint (<c>model.vision_embed_tokens.img_processor.vision_model.*</c>).
/// The remote code hard-codes the tower's configuration (CLIP ViT-L/14-336: 1024 wide, 24 layers, 16 heads of 64,
/// 336-pixel images in 14-pixel patches); here width, depth and MLP size are read from the tensors' shapes and the
/// heads are width / 64, which holds for the released tower. Matrices keep the checkpoint's float type: `--quantize`
/// applies to the text model only (they are bound as plain matrices, never through the quantizing path).
/// </summary>
internal sealed unsafe class ClipVisionWeights
{
    public const int HeadDim = 64;
    public const int PatchSize = 14;
    public const int Patches = Phi3VisionImageProcessor.CropSize / PatchSize;   // 24 a side
    public const int PatchFloats = 3 * PatchSize * PatchSize;

    public required int Width { get; init; }
    public required int IntermediateSize { get; init; }
    public required int LayerCount { get; init; }
    public required float[] ClassEmbedding { get; init; }
    /// <summary>The patch convolution as a matrix: Width rows of (channel, y, x) = 588 weights.</summary>
    public required WeightTensor PatchEmbedding { get; init; }
    public required WeightTensor PositionEmbedding { get; init; }
    public required LayerNormWeights PreNorm { get; init; }
    public required ClipLayerWeights[] Layers { get; init; }

    public static ClipVisionWeights Bind(ITensorSource source, string prefix)
    {
        string p = prefix + "vision_model.";
        var classEmbedding = Require(source, p + "embeddings.class_embedding");
        int width = (int)classEmbedding.ElementCount;
        int layers = 0;
        while (source.TryGetTensor($"{p}encoder.layers.{layers}.self_attn.q_proj.weight", out _)) layers++;
        if (layers == 0) throw new ModelFormatException(source.Path, $"missing tensor '{p}encoder.layers.0.self_attn.q_proj.weight'");
        if (width % HeadDim != 0)
            throw new ModelFormatException(source.Path, $"the CLIP tower is {width} wide, not a whole number of heads of {HeadDim}");
        var fc1 = Require(source, p + "encoder.layers.0.mlp.fc1.weight");
        int intermediate = (int)fc1.Rows;

        var patch = Require(source, p + "embeddings.patch_embedding.weight");
        if (patch.ElementCount != (long)width * PatchFloats)
            throw new ModelFormatException(source.Path, $"tensor '{p}embeddings.patch_embedding.weight' has {patch.ElementCount} elements, expected {width} × 3 × 14 × 14");
        var patchMatrix = new WeightTensor(patch.Name, patch.Type, [PatchFloats, width], patch.Data, patch.ByteLength);

        LayerNormWeights Norm(string name) => new(Vector(source, name + ".weight", width), Vector(source, name + ".bias", width));
        Projection Linear(string name, int inputs, int outputs) =>
            new(Matrix(source, name + ".weight", inputs, outputs), Vector(source, name + ".bias", outputs));
        var bound = new ClipLayerWeights[layers];
        for (int i = 0; i < layers; i++)
        {
            string l = $"{p}encoder.layers.{i}.";
            bound[i] = new ClipLayerWeights
            {
                AttentionNorm = Norm(l + "layer_norm1"),
                Query = Linear(l + "self_attn.q_proj", width, width),
                Key = Linear(l + "self_attn.k_proj", width, width),
                Value = Linear(l + "self_attn.v_proj", width, width),
                Output = Linear(l + "self_attn.out_proj", width, width),
                FeedForwardNorm = Norm(l + "layer_norm2"),
                Up = Linear(l + "mlp.fc1", width, intermediate),
                Down = Linear(l + "mlp.fc2", intermediate, width),
            };
        }
        return new ClipVisionWeights
        {
            Width = width, IntermediateSize = intermediate, LayerCount = layers,
            ClassEmbedding = Vector(source, classEmbedding.Name, width),
            PatchEmbedding = patchMatrix,
            PositionEmbedding = Matrix(source, p + "embeddings.position_embedding.weight", width, Patches * Patches + 1),
            PreNorm = Norm(p + "pre_layrnorm"),
            Layers = bound,
        };
    }
}
