using System.Runtime.InteropServices;
using PhiSharp.Formats;
using PhiSharp.Kernels;
using PhiSharp.Tensors;

namespace PhiSharp.Quantization;

/// <summary>
/// <c>--quantize q4_0|q8_0</c> on a Hugging Face folder: the float matrices that only matmuls read are quantized when
/// the model binds them, with the encoders <c>phi quantize</c> uses (llama.cpp's reference quantizers), into memory of
/// this source's own, rows interleaved for the kernels; each source matrix's mapped pages are then released, so
/// memory ends near the quantized size. As llama.cpp's q4_0 / q8_0 files do, the output head gets Q6_K where its rows
/// are whole 256-blocks, else Q8_0. Vectors and the embedding table stay as stored.
/// </summary>
internal sealed unsafe class QuantizedAtLoadSource : ITensorSource
{
    readonly ITensorSource _inner;
    readonly GgmlType _type;
    readonly string _outputName;
    readonly Dictionary<string, WeightTensor> _quantized = new(StringComparer.Ordinal);
    readonly List<nint> _buffers = [];

    public static readonly GgmlType[] Types = [GgmlType.Q4_0, GgmlType.Q8_0];

    /// <param name="outputName">The output head's tensor name (its type follows llama.cpp's rule above).</param>
    public QuantizedAtLoadSource(ITensorSource inner, GgmlType type, string outputName)
    {
        if (!Types.Contains(type)) throw new ArgumentException($"--quantize takes q4_0 or q8_0, not {GgmlTypeInfo.Name(type)}");
        _inner = inner;
        _type = type;
        _outputName = outputName;
    }

    public string Path => _inner.Path;
    public IReadOnlyCollection<string> TensorNames => _inner.TensorNames;

    public bool TryGetTensor(string name, out WeightTensor tensor) =>
        _quantized.TryGetValue(name, out tensor) || _inner.TryGetTensor(name, out tensor);

    /// <summary>A float matrix is quantized into memory of this source's own, then prepared there.</summary>
    public bool TryPrepareInPlace(string name, PrepareInPlace prepare, out WeightTensor tensor)
    {
        if (_quantized.TryGetValue(name, out tensor)) return true;
        if (!_inner.TryGetTensor(name, out var source) || source.Dims.Length != 2
            || source.Type is not (GgmlType.F32 or GgmlType.F16 or GgmlType.BF16))
            return _inner.TryPrepareInPlace(name, prepare, out tensor);
        var type = name == _outputName ? (source.RowLength % 256 == 0 ? GgmlType.Q6_K : GgmlType.Q8_0) : _type;
        if (source.RowLength % GgmlTypeInfo.BlockSize(type) != 0) return false; // stays float, as llama.cpp would fall back
        tensor = Quantized(source, type);
        tensor = new WeightTensor(tensor.Name, tensor.Type, tensor.Dims, tensor.Data, tensor.ByteLength, prepare(tensor));
        _quantized[name] = tensor;
        MappedPages.Release(source.Data, source.ByteLength);
        return true;
    }

    WeightTensor Quantized(in WeightTensor source, GgmlType type)
    {
        int rows = source.Rows, columns = source.RowLength;
        long rowBytes = GgmlTypeInfo.RowByteSize(type, columns), bytes = rows * rowBytes;
        byte* data = (byte*)NativeMemory.AlignedAlloc((nuint)bytes, 2 << 20);
        _buffers.Add((nint)data);
        HugePages.Advise(data, bytes);
        var from = source;
        nint to = (nint)data;
        Parallel.For(0, rows, () => new float[columns], (r, _, scratch) =>
        {
            Quantize.Row(type, WeightRows.AsFloat(from, r, scratch), new Span<byte>((byte*)to + r * rowBytes, (int)rowBytes));
            return scratch;
        }, _ => { });
        return new WeightTensor(source.Name, type, source.Dims, data, bytes);
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers) NativeMemory.AlignedFree((void*)buffer);
        _buffers.Clear();
        _quantized.Clear();
        _inner.Dispose();
    }
}
