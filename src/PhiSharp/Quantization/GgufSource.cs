using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Tensors;

namespace PhiSharp.Quantization;

/// <summary>Where <see cref="GgufQuantizer"/> reads a model from: its tensors and the metadata to write.</summary>
internal interface IQuantizationSource : IDisposable
{
    IReadOnlyList<(string Name, long[] Dims, GgmlType Type)> Tensors { get; }

    /// <summary>The model's block count (the per-layer type rules count against it).</summary>
    int LayerCount { get; }

    /// <summary>Bytes of tensor data read.</summary>
    long ByteCount { get; }

    void WriteMetadata(GgufWriter writer, QuantizationScheme scheme);

    WeightTensor GetTensor(string name);

    /// <summary>Called once a tensor is written: lets its mapped pages go (each tensor is read once).</summary>
    void Release(string name, WeightTensor tensor);
}

/// <summary>A GGUF input: metadata is copied as llama.cpp's quantizer copies it (same keys, order and value types),
/// with general.quantization_version and general.file_type set, and split keys dropped.</summary>
internal sealed class GgufSource(GgufFile file) : IQuantizationSource
{
    const string QuantizationVersionKey = "general.quantization_version", FileTypeKey = "general.file_type";
    static readonly HashSet<string> SplitKeys = ["split.no", "split.count", "split.tensors.count"];

    public IReadOnlyList<(string Name, long[] Dims, GgmlType Type)> Tensors { get; } =
        file.Tensors.Select(t => (t.Name, t.Dims.ToArray(), t.Type)).ToList();

    public int LayerCount
    {
        get
        {
            string architecture = file.GetString("general.architecture");
            if (file.TryGetUInt32(architecture + ".expert_count", out uint experts) && experts > 1)
                throw new UnsupportedModelException(file.Path, "mixture-of-experts models cannot be quantized by PhiSharp");
            return file.TryGetUInt32(architecture + ".block_count", out uint blocks)
                ? (int)blocks
                : throw new ModelFormatException(file.Path, $"metadata '{architecture}.block_count' is missing");
        }
    }

    public long ByteCount => file.Tensors.Sum(t => t.ByteLength);

    public void WriteMetadata(GgufWriter writer, QuantizationScheme scheme)
    {
        foreach (var value in file.Metadata)
        {
            if (SplitKeys.Contains(value.Key)) continue;
            if (value.Key == QuantizationVersionKey) writer.AddMetadata(value.Key, QuantizationVersion);
            else if (value.Key == FileTypeKey) writer.AddMetadata(value.Key, scheme.FileType);
            else value.CopyTo(writer);
        }
        if (!file.ContainsKey(QuantizationVersionKey)) writer.AddMetadata(QuantizationVersionKey, QuantizationVersion);
        if (!file.ContainsKey(FileTypeKey)) writer.AddMetadata(FileTypeKey, scheme.FileType);
    }

    public WeightTensor GetTensor(string name) => file.GetTensor(name);

    public unsafe void Release(string name, WeightTensor tensor) => MappedPages.Release(tensor.Data, tensor.ByteLength);

    public void Dispose() => file.Dispose();

    static uint QuantizationVersion => GgufQuantizer.QuantizationVersion;
}
