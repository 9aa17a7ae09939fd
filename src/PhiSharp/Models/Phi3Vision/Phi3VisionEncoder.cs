using System.Numerics.Tensors;
using PhiSharp.Formats;
using PhiSharp.Kernels;
using PhiSharp.Models.Decoder;
using PhiSharp.Tensors;
using static PhiSharp.Models.WeightBinding;

namespace PhiSharp.Models.Phi3Vision;

/// <summary>
/// Phi3ImageEmbedding (image_embedding_phi3_v.py): crops through the CLIP tower, each crop's 24 × 24 patch features
/// merged 2 × 2 into 12 × 12 rows of 4·width, the sub-crops laid out as one grid with <c>sub_GN</c> ending each row,
/// then <c>glb_GN</c>, then the global view's 12 rows each ended by <c>sub_GN</c> ("sub_glb"), and the MLP projector
/// (Linear, GELU, Linear) to the text model's width. The result replaces the image's placeholder embeddings.
/// </summary>
internal sealed class Phi3VisionEncoder
{
    const int Grid = ClipVisionWeights.Patches, Merged = Grid / 2, Crop = Phi3VisionImageProcessor.CropSize;

    readonly ITensorSource _source;
    readonly ClipVisionWeights _clip;
    readonly ClipVisionNetwork _network;
    readonly float[] _globalSeparator, _rowSeparator;
    readonly Projection _project1, _project2;
    readonly Lock _encoding = new();
    DecoderModel? _tower;
    public int HiddenSize { get; }
    int Merge => 4 * _clip.Width;

    Phi3VisionEncoder(ITensorSource source, ClipVisionWeights clip, ClipVisionNetwork network, float[] globalSeparator,
        float[] rowSeparator, Projection project1, Projection project2, int hidden)
    {
        (_source, _clip, _network, _globalSeparator, _rowSeparator, _project1, _project2, HiddenSize) =
            (source, clip, network, globalSeparator, rowSeparator, project1, project2, hidden);
    }

    /// <summary>Binds the vision tensors of a Phi3V checkpoint (shapes checked here, at load).</summary>
    public static Phi3VisionEncoder Bind(ITensorSource source, Phi3VisionConfig config, int hidden)
    {
        const string prefix = "model.vision_embed_tokens.";
        var clip = ClipVisionWeights.Bind(source, prefix + "img_processor.");
        if (clip.Width != config.ImageDimOut)
            throw new ModelFormatException(source.Path, $"img_processor.image_dim_out is {config.ImageDimOut}, but the CLIP tower is {clip.Width} wide");
        int merged = 4 * clip.Width;
        var network = new ClipVisionNetwork(clip, config.LayersEvaluated(clip.LayerCount, source.Path));
        Projection Linear(string name, int inputs, int outputs) =>
            new(Matrix(source, name + ".weight", inputs, outputs), Vector(source, name + ".bias", outputs));
        return new Phi3VisionEncoder(source, clip, network,
            Vector(source, prefix + "glb_GN", merged), Vector(source, prefix + "sub_GN", merged),
            Linear(prefix + "img_projection.0", merged, hidden), Linear(prefix + "img_projection.2", hidden, hidden), hidden);
    }

    /// <summary>The types of the tower's and the projector's matrices (what `--quantize` leaves alone).</summary>
    public IEnumerable<Tensors.GgmlType> MatrixTypes() =>
        new[] { _clip.PatchEmbedding.Type, _project1.Weight.Type, _project2.Weight.Type }
            .Concat(_clip.Layers.SelectMany(l => new[] { l.Query.Weight.Type, l.Key.Weight.Type, l.Value.Weight.Type, l.Output.Weight.Type, l.Up.Weight.Type, l.Down.Weight.Type }));

    /// <summary>The image's <see cref="Phi3VisionPixels.TokenCount"/> embedding rows (hidden size floats each).
    /// <paramref name="text"/> lends its worker pool: an image is encoded between, never during, other sessions'
    /// steps.</summary>
    public float[] Encode(DecoderModel text, Phi3VisionPixels pixels)
    {
        int rows = pixels.CropRows, columns = pixels.CropColumns, width = _clip.Width;
        int gridColumns = columns * Merged + 1;
        var merged = new float[pixels.TokenCount * Merge];
        var features = new float[ClipVisionNetwork.Positions * width];
        var output = new float[pixels.TokenCount * HiddenSize];
        using (_encoding.EnterScope())
        using (text.ExclusiveTurn())
        {
            _tower ??= new DecoderModel(new BorrowedSource(_source), _network, text.Pool, kvCache: KvCacheType.F32);
            // One session and one set of buffers serve every crop of the image.
            using var session = _tower.CreateDecoderSession(ClipVisionNetwork.Positions);
            var buffers = new CropBuffers(new float[Grid * Grid * ClipVisionWeights.PatchFloats], new float[ClipVisionNetwork.Positions * width],
                new float[width], new int[ClipVisionNetwork.Positions], session);
            // Sub-crops first (crop 1.. in row order), each into its place of the (rows·12) × (columns·12 + 1) grid.
            for (int r = 0; r < rows; r++)
                for (int c = 0; c < columns; c++)
                {
                    Features(pixels.Crop(1 + r * columns + c), buffers, features);
                    for (int i = 0; i < Merged; i++)
                        for (int j = 0; j < Merged; j++)
                            MergeInto(features, i, j, merged.AsSpan(((r * Merged + i) * gridColumns + c * Merged + j) * Merge, Merge));
                }
            int subRows = rows * Merged;
            for (int i = 0; i < subRows; i++) _rowSeparator.CopyTo(merged.AsSpan((i * gridColumns + gridColumns - 1) * Merge, Merge));
            int global = subRows * gridColumns;
            _globalSeparator.CopyTo(merged.AsSpan(global * Merge, Merge));
            Features(pixels.Crop(0), buffers, features);
            for (int i = 0; i < Merged; i++)
            {
                for (int j = 0; j < Merged; j++) MergeInto(features, i, j, merged.AsSpan((global + 1 + i * (Merged + 1) + j) * Merge, Merge));
                _rowSeparator.CopyTo(merged.AsSpan((global + 1 + i * (Merged + 1) + Merged) * Merge, Merge));
            }

            var hidden = new float[pixels.TokenCount * HiddenSize];
            Project(_project1, merged, hidden, pixels.TokenCount);
            Activations.GeluErf(hidden, hidden);
            Project(_project2, hidden, output, pixels.TokenCount);
        }
        return output;
    }

    /// <summary>Row (i, j) of the 12 × 12 merge: the features of patches (2i, 2j), (2i, 2j+1), (2i+1, 2j), (2i+1, 2j+1),
    /// skipping the class token.</summary>
    void MergeInto(float[] features, int i, int j, Span<float> row)
    {
        int width = _clip.Width;
        for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
                features.AsSpan((1 + (2 * i + dy) * Grid + 2 * j + dx) * width, width).CopyTo(row.Slice((2 * dy + dx) * width, width));
    }

    /// <summary>The tower's states after the feature layer for one crop: patch embedding (the 14 × 14 convolution as
    /// a matmul over patches), class token, positions, pre-LayerNorm, then the layers.</summary>
    readonly record struct CropBuffers(float[] Patches, float[] Embedded, float[] Position, int[] Placeholders, DecoderSession Session);

    void Features(ReadOnlySpan<float> crop, in CropBuffers buffers, float[] states)
    {
        const int patch = ClipVisionWeights.PatchSize, floats = ClipVisionWeights.PatchFloats;
        int width = _clip.Width, count = Grid * Grid;
        var patches = buffers.Patches;
        for (int py = 0; py < Grid; py++)
            for (int px = 0; px < Grid; px++)
            {
                var p = patches.AsSpan((py * Grid + px) * floats, floats);
                for (int channel = 0; channel < 3; channel++)
                    for (int y = 0; y < patch; y++)
                        crop.Slice((channel * Crop + py * patch + y) * Crop + px * patch, patch).CopyTo(p.Slice((channel * patch + y) * patch, patch));
            }
        var embedded = buffers.Embedded;
        _tower!.MatMul.Multiply(_clip.PatchEmbedding, patches, embedded.AsSpan(width), count);
        _clip.ClassEmbedding.CopyTo(embedded, 0);
        var position = buffers.Position;
        for (int t = 0; t < ClipVisionNetwork.Positions; t++)
        {
            var row = embedded.AsSpan(t * width, width);
            TensorPrimitives.Add(row, WeightRows.AsFloat(_clip.PositionEmbedding, t, position), row);
            Normalization.LayerNorm(row, _clip.PreNorm.Weight, _clip.PreNorm.Bias, 1e-5f, row);
        }
        buffers.Session.Truncate(0);
        buffers.Session.Append(new DecoderInput(buffers.Placeholders, [new EmbeddingRows(0, embedded)]), states, allPositions: true);
    }

    void Project(in Projection projection, float[] x, float[] y, int rows)
    {
        _tower!.MatMul.Multiply(projection.Weight, x, y, rows);
        for (int r = 0; r < rows; r++)
        {
            var row = y.AsSpan(r * projection.Weight.Rows, projection.Weight.Rows);
            TensorPrimitives.Add(row, projection.Bias!, row);
        }
    }

    /// <summary>The checkpoint seen by the tower's <see cref="DecoderModel"/>, which disposes its source: the text
    /// model owns it.</summary>
    sealed class BorrowedSource(ITensorSource inner) : ITensorSource
    {
        public string Path => inner.Path;
        public IReadOnlyCollection<string> TensorNames => inner.TensorNames;
        public bool TryGetTensor(string name, out WeightTensor tensor) => inner.TryGetTensor(name, out tensor);
        public bool TryInterleaveRows(string name, out WeightTensor tensor) { tensor = default; return false; }
        public void Dispose() { }
    }
}
