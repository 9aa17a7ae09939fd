using PhiSharp.Tensors;

namespace PhiSharp.Formats.Gguf;

/// <summary>
/// A GGUF (v2 or v3) model file: header, typed metadata, tensor infos and tensor data. Tensor data stays where it
/// lies in the file's mapping (or the buffer it was read into); <see cref="TryGetTensor"/> hands out views into it.
/// Layout: magic "GGUF", u32 version, u64 tensor count, u64 metadata count, metadata (key string, u32 kind, value),
/// tensor infos (name, u32 dim count, u64 dims, u32 ggml type, u64 offset), padding to the alignment, data.
/// </summary>
internal sealed unsafe partial class GgufFile : ITensorSource
{
    /// <summary>"GGUF" read as a little-endian u32.</summary>
    public const uint Magic = 0x46554747;
    public const uint DefaultAlignment = 32;
    public const string AlignmentKey = "general.alignment";

    /// <summary>ggml's GGML_MAX_DIMS.</summary>
    public const int MaxDims = 4;

    private readonly FileBytes _bytes;
    private readonly List<GgufMetadataValue> _metadata = [];
    private readonly Dictionary<string, GgufMetadataValue> _metadataByKey = new(StringComparer.Ordinal);
    private readonly List<GgufTensorInfo> _tensors = [];
    private readonly Dictionary<string, GgufTensorInfo> _tensorsByName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, WeightLayout> _layouts = new(StringComparer.Ordinal);
    private RowsOnDemand? _embeddingRows;

    const string TokenEmbedding = "token_embd.weight", OutputMatrix = "output.weight";

    public string Path => _bytes.Path;
    public uint Version { get; private set; }
    public uint Alignment { get; private set; } = DefaultAlignment;

    /// <summary>File offset of the data section, to which tensor offsets are relative.</summary>
    public long DataOffset { get; private set; }

    /// <summary>All metadata in file order.</summary>
    public IReadOnlyList<GgufMetadataValue> Metadata => _metadata;

    /// <summary>All tensors in file order.</summary>
    public IReadOnlyList<GgufTensorInfo> Tensors => _tensors;

    public IReadOnlyCollection<string> TensorNames => _tensorsByName.Keys;

    private GgufFile(FileBytes bytes) => _bytes = bytes;

    /// <summary>Opens and validates a GGUF file.</summary>
    /// <exception cref="ModelFormatException">The file is not valid GGUF: wrong magic or version, truncated,
    /// a length or offset beyond the file, bad dims, duplicate names, tensors whose data overlap.</exception>
    /// <exception cref="UnsupportedModelException">A tensor has a type PhiSharp does not know.</exception>
    public static GgufFile Open(string path, TensorFileOptions? options = null)
    {
        var bytes = FileBytes.OpenForParsing(path, options);
        var file = new GgufFile(bytes);
        try
        {
            file.Parse();
            file.ReadData();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public bool TryGetTensorInfo(string name, out GgufTensorInfo info) => _tensorsByName.TryGetValue(name, out info!);

    public bool TryGetTensor(string name, out WeightTensor tensor)
    {
        if (!_tensorsByName.TryGetValue(name, out var info))
        {
            tensor = default;
            return false;
        }
        ObjectDisposedException.ThrowIf(_bytes.Pointer == null && _bytes.Length > 0, this);
        tensor = new WeightTensor(info.Name, info.Type, info.Dims.ToArray(), _bytes.Pointer + DataOffset + info.Offset, info.ByteLength,
            _layouts.GetValueOrDefault(name), name == TokenEmbedding ? _embeddingRows : null);
        return true;
    }

    public bool TryPrepareInPlace(string name, PrepareInPlace prepare, out WeightTensor tensor)
    {
        if (!TryGetTensor(name, out tensor)) return false;
        if (tensor.RowsInterleaved) return true;
        if (!_bytes.IsWritable) return false;
        _layouts[name] = prepare(tensor);
        return TryGetTensor(name, out tensor);
    }

    /// <summary>The tensor named <paramref name="name"/>; a missing tensor is a <see cref="ModelFormatException"/>.</summary>
    public WeightTensor GetTensor(string name) =>
        TryGetTensor(name, out var tensor) ? tensor : throw new ModelFormatException(Path, $"tensor '{name}' is missing");

    public void Dispose() => _bytes.Dispose();

    /// <summary>
    /// When the file is read into memory (not mapped), reads the tensor data, all of it but a token-embedding table
    /// that only ever gives rows (there is a separate output matrix, so the table is not also the output head): its
    /// rows are read as tokens ask for them (<see cref="RowsOnDemand"/>). llama.cpp's name for that table is shared by
    /// every architecture it converts.
    /// </summary>
    private void ReadData()
    {
        if (!_bytes.IsWritable) return;
        if (_tensorsByName.TryGetValue(TokenEmbedding, out var table) && _tensorsByName.ContainsKey(OutputMatrix) && table.Dims.Count == 2)
        {
            long offset = DataOffset + table.Offset;
            _embeddingRows = new RowsOnDemand(_bytes.OpenFile, Path, offset, _bytes.Pointer + offset,
                GgmlTypeInfo.RowByteSize(table.Type, table.Dims[0]), checked((int)table.Dims[1]));
            _bytes.ReadRest([(offset, table.ByteLength)]);
        }
        else _bytes.ReadRest([]);
    }

    private void Parse()
    {
        var cursor = new GgufCursor(_bytes, 0);
        uint magic = cursor.ReadUInt32("magic");
        if (magic != Magic)
            throw cursor.Corrupt($"not a GGUF file: magic is 0x{magic:X8}, expected 0x{Magic:X8} (\"GGUF\")");
        Version = cursor.ReadUInt32("version");
        if (Version is not (2 or 3))
        {
            string hint = Version is 0x02000000 or 0x03000000 ? " (a big-endian file, which is not supported)" : "";
            throw cursor.Corrupt($"GGUF version {Version} is not supported{hint}; versions 2 and 3 are");
        }
        long tensorCount = cursor.ReadLength("tensor count");
        long metadataCount = cursor.ReadLength("metadata count");

        // each metadata entry takes at least 13 bytes (key length, kind, one byte), each tensor info at least 24:
        // bound the counts before looping so a corrupt count cannot make us spin or allocate
        if (metadataCount > cursor.Remaining / 13)
            throw cursor.Corrupt($"truncated: {metadataCount} metadata entries cannot fit in the file");
        for (long i = 0; i < metadataCount; i++) ReadMetadataEntry(ref cursor, i);
        ReadAlignment(ref cursor);

        if (tensorCount > cursor.Remaining / 24)
            throw cursor.Corrupt($"truncated: {tensorCount} tensor infos cannot fit in the file");
        var infos = new List<(string Name, GgmlType Type, long[] Dims, long Offset)>();
        for (long i = 0; i < tensorCount; i++) infos.Add(ReadTensorInfo(ref cursor, i));

        DataOffset = AlignUp(cursor.Position, Alignment);
        foreach (var (name, type, dims, offset) in infos) AddTensor(ref cursor, name, type, dims, offset);
        RejectOverlaps(ref cursor);
    }

    private void ReadMetadataEntry(ref GgufCursor cursor, long index)
    {
        string key = cursor.ReadString($"key of metadata entry {index}");
        var type = (GgufValueType)cursor.ReadUInt32($"value type of metadata '{key}'");
        var value = GgufMetadataValue.Read(_bytes, ref cursor, key, type);
        if (!_metadataByKey.TryAdd(key, value)) throw cursor.Corrupt($"metadata key '{key}' appears twice");
        _metadata.Add(value);
    }

    private void ReadAlignment(ref GgufCursor cursor)
    {
        if (!_metadataByKey.TryGetValue(AlignmentKey, out var value)) return;
        if (value.Type != GgufValueType.UInt32)
            throw cursor.Corrupt($"metadata '{AlignmentKey}' is {value.Type}, expected UInt32");
        uint alignment = value.AsUInt32();
        if (alignment == 0 || (alignment & (alignment - 1)) != 0)
            throw cursor.Corrupt($"metadata '{AlignmentKey}' = {alignment} is not a power of two");
        Alignment = alignment;
    }

    private (string, GgmlType, long[], long) ReadTensorInfo(ref GgufCursor cursor, long index)
    {
        string name = cursor.ReadString($"name of tensor {index}");
        string what = $"tensor '{name}'";
        uint dimCount = cursor.ReadUInt32($"dim count of {what}");
        if (dimCount is 0 or > MaxDims) throw cursor.Corrupt($"{what} has {dimCount} dims; 1 to {MaxDims} are allowed");
        var dims = new long[dimCount];
        for (int d = 0; d < dims.Length; d++)
        {
            ulong dim = cursor.ReadUInt64($"dim {d} of {what}");
            if (dim is 0 or > long.MaxValue) throw cursor.Corrupt($"{what} has dim {d} = {dim}");
            dims[d] = (long)dim;
        }
        var type = (GgmlType)cursor.ReadUInt32($"type of {what}");
        ulong offset = cursor.ReadUInt64($"data offset of {what}");
        if (!GgmlTypeInfo.IsKnown(type))
            throw new UnsupportedModelException(Path, $"{what} has ggml type {(uint)type}, which PhiSharp does not support");
        if (offset > long.MaxValue) throw cursor.Corrupt($"{what} has data offset {offset}");
        return (name, type, dims, (long)offset);
    }

    private void AddTensor(ref GgufCursor cursor, string name, GgmlType type, long[] dims, long offset)
    {
        string what = $"tensor '{name}'";
        if (_tensorsByName.ContainsKey(name)) throw cursor.Corrupt($"{what} appears twice");
        if (!GgmlTypeInfo.IsValidRowLength(type, dims[0]))
            throw cursor.Corrupt($"{what} has rows of {dims[0]} elements, not a multiple of the " +
                $"{GgmlTypeInfo.Name(type)} block size {GgmlTypeInfo.BlockSize(type)}");
        long byteLength;
        try
        {
            long rows = 1;
            for (int d = 1; d < dims.Length; d++) rows = checked(rows * dims[d]);
            checked { _ = rows * dims[0]; } // the element count must be representable too
            byteLength = checked(GgmlTypeInfo.RowByteSize(type, dims[0]) * rows);
        }
        catch (OverflowException)
        {
            throw cursor.Corrupt($"{what} has dims [{string.Join(", ", dims)}] whose size overflows");
        }
        if (offset % Alignment != 0)
            throw cursor.Corrupt($"{what} has data offset {offset}, not a multiple of the alignment {Alignment}");
        long available = _bytes.Length - DataOffset;
        if (offset > available || byteLength > available - offset)
            throw cursor.Corrupt($"{what} data ({byteLength} bytes at offset {offset}) lies beyond the end of the data section " +
                $"({Math.Max(available, 0)} bytes from file offset {DataOffset})");
        var info = new GgufTensorInfo(name, type, dims, offset, byteLength);
        _tensorsByName.Add(name, info);
        _tensors.Add(info);
    }

    /// <summary>Refuses tensors whose data share bytes, as llama.cpp's loader does: a weight read through another's
    /// bytes computes garbage instead of failing. Sorted by offset, only neighbours need comparing.</summary>
    private void RejectOverlaps(ref GgufCursor cursor)
    {
        var byOffset = _tensors.OrderBy(t => t.Offset).ToArray();
        for (int i = 1; i < byOffset.Length; i++)
        {
            var (before, after) = (byOffset[i - 1], byOffset[i]);
            if (after.Offset < before.Offset + before.ByteLength)
                throw cursor.Corrupt($"tensors '{before.Name}' ({before.ByteLength} bytes at offset {before.Offset}) and " +
                    $"'{after.Name}' ({after.ByteLength} bytes at offset {after.Offset}) overlap");
        }
    }

    internal static long AlignUp(long position, uint alignment) => (position + alignment - 1) / alignment * alignment;
}
