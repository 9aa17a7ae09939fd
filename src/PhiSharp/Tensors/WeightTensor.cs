namespace PhiSharp.Tensors;

/// <summary>
/// A view of one tensor where it lies: in a memory-mapped file or a pinned buffer owned by its source.
/// <see cref="Dims"/> is in ggml order: Dims[0] is the innermost (contiguous) dimension, so a PyTorch
/// weight of shape [out, in] has Dims = [in, out]: <see cref="Rows"/> = out, <see cref="RowLength"/> = in.
/// Valid only while the source that produced it is alive.
/// </summary>
internal readonly unsafe struct WeightTensor
{
    public string Name { get; }
    public GgmlType Type { get; }
    public long[] Dims { get; }
    public byte* Data { get; }
    public long ByteLength { get; }

    /// <summary>How the rows lie: as stored, or rewritten for the matmul kernels (Compute/WeightPreparation).</summary>
    public WeightLayout Layout { get; }

    /// <summary>Rows rewritten eight at a time for the matmul kernels (Kernels/Quantized/InterleavedRows: Q4_0, Q8_0, Q4_K, Q6_K);
    /// the bytes are a permutation of the row-major ones.</summary>
    public bool RowsInterleaved => Layout != WeightLayout.RowMajor;

    public WeightTensor(string name, GgmlType type, long[] dims, byte* data, long byteLength, WeightLayout layout = WeightLayout.RowMajor)
    {
        Name = name;
        Type = type;
        Dims = dims;
        Data = data;
        ByteLength = byteLength;
        Layout = layout;
    }

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Dims) n *= d;
            return n;
        }
    }

    /// <summary>Length of the contiguous innermost dimension.</summary>
    public int RowLength => (int)Dims[0];

    /// <summary>Number of rows: the product of all dimensions but the innermost.</summary>
    public int Rows => (int)(ElementCount / Dims[0]);

    public ReadOnlySpan<byte> Bytes => new(Data, checked((int)ByteLength));
}

/// <summary>The byte layout of a weight matrix (Compute/WeightPreparation chooses it per kernel tier).</summary>
internal enum WeightLayout
{
    /// <summary>As the file stores it: row after row of the type's blocks.</summary>
    RowMajor,

    /// <summary>Rows interleaved eight at a time (Kernels/Quantized/InterleavedRows), codes as stored.</summary>
    RowsInterleaved,

    /// <summary>Q8_0 rows interleaved, codes stored unsigned (q + 128) for the x86-avxvnni tier's vpdpbusd.</summary>
    RowsInterleavedUnsigned,
}
