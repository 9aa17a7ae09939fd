using System.Buffers.Binary;
using System.Text.Json;
using PhiSharp.Tensors;

namespace PhiSharp.Formats.Safetensors;

/// <summary>
/// One .safetensors file: u64 little-endian header length N, N bytes of JSON header, then the tensor data.
/// The header maps each tensor name to { "dtype", "shape", "data_offsets": [begin, end] } (offsets relative to the
/// data section), plus an optional "__metadata__" of string pairs. Tensor data stays in the mapping.
/// </summary>
internal sealed unsafe class SafetensorsFile : ITensorSource
{
    /// <summary>The safetensors library's own limit on the header; larger means corruption.</summary>
    public const long MaxHeaderLength = 100_000_000;

    private readonly FileBytes _bytes;
    private readonly Dictionary<string, SafetensorsTensorInfo> _tensorsByName = new(StringComparer.Ordinal);
    private readonly List<SafetensorsTensorInfo> _tensors = [];
    private readonly Dictionary<string, string> _metadata = new(StringComparer.Ordinal);

    public string Path => _bytes.Path;
    public long DataOffset { get; private set; }
    public IReadOnlyDictionary<string, string> Metadata => _metadata;
    public IReadOnlyList<SafetensorsTensorInfo> Tensors => _tensors;
    public IReadOnlyCollection<string> TensorNames => _tensorsByName.Keys;

    private SafetensorsFile(FileBytes bytes) => _bytes = bytes;

    /// <exception cref="ModelFormatException">Bad header length, invalid JSON, a malformed entry, or tensor data
    /// outside the file, overlapping, or not the size its shape and dtype imply.</exception>
    /// <exception cref="UnsupportedModelException">A dtype safetensors does not define.</exception>
    public static SafetensorsFile Open(string path, TensorFileOptions? options = null)
    {
        var file = new SafetensorsFile(FileBytes.Open(path, options));
        try
        {
            file.Parse();
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    public bool TryGetTensorInfo(string name, out SafetensorsTensorInfo info) => _tensorsByName.TryGetValue(name, out info!);

    /// <summary>A weight view: dims are the torch shape reversed (so [out, in] becomes Dims [in, out]).</summary>
    /// <exception cref="UnsupportedModelException">The tensor's dtype is not F32, F16 or BF16.</exception>
    public bool TryGetTensor(string name, out WeightTensor tensor)
    {
        if (!_tensorsByName.TryGetValue(name, out var info))
        {
            tensor = default;
            return false;
        }
        if (!SafetensorsDTypes.TryGetGgmlType(info.DType, out GgmlType type))
            throw new UnsupportedModelException(Path, $"tensor '{name}' is {info.DType}; weights must be F32, F16 or BF16");
        long[] dims = info.Shape.Count == 0 ? [1] : info.Shape.Reverse().ToArray();
        tensor = new WeightTensor(name, type, dims, DataPointer(info), info.ByteLength);
        return true;
    }

    /// <summary>The raw bytes of a tensor of any dtype (e.g. I64 ids).</summary>
    public ReadOnlySpan<byte> GetTensorBytes(string name) =>
        _tensorsByName.TryGetValue(name, out var info)
            ? new ReadOnlySpan<byte>(DataPointer(info), checked((int)info.ByteLength))
            : throw new ModelFormatException(Path, $"tensor '{name}' is missing");

    public void Dispose() => _bytes.Dispose();

    private byte* DataPointer(SafetensorsTensorInfo info)
    {
        ObjectDisposedException.ThrowIf(_bytes.Pointer == null, this);
        return _bytes.Pointer + DataOffset + info.DataOffset;
    }

    private void Parse()
    {
        if (_bytes.Length < 8) throw Corrupt($"truncated: {_bytes.Length} bytes, too short for the 8-byte header length");
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(_bytes.Span(0, 8));
        if (headerLength > MaxHeaderLength || (long)headerLength > _bytes.Length - 8)
            throw Corrupt($"header length {headerLength} exceeds the file ({_bytes.Length} bytes) or the 100 MB limit");
        DataOffset = 8 + (long)headerLength;

        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(_bytes.Span(8, (int)headerLength).ToArray());
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(Path, $"header is not valid JSON: {e.Message}", e);
        }
        if (root.ValueKind != JsonValueKind.Object) throw Corrupt($"header is a JSON {root.ValueKind}, expected an object");

        long dataLength = _bytes.Length - DataOffset;
        foreach (JsonProperty entry in root.EnumerateObject())
        {
            if (entry.Name == "__metadata__") ReadMetadata(entry.Value);
            else AddTensor(ReadTensor(entry.Name, entry.Value, dataLength));
        }

        // tensors must not share bytes
        var byOffset = _tensors.Where(t => t.ByteLength > 0).OrderBy(t => t.DataOffset).ToList();
        for (int i = 1; i < byOffset.Count; i++)
        {
            if (byOffset[i].DataOffset < byOffset[i - 1].DataOffset + byOffset[i - 1].ByteLength)
                throw Corrupt($"tensors '{byOffset[i - 1].Name}' and '{byOffset[i].Name}' overlap");
        }
    }

    private void ReadMetadata(JsonElement metadata)
    {
        if (metadata.ValueKind != JsonValueKind.Object) throw Corrupt("__metadata__ is not an object");
        foreach (JsonProperty pair in metadata.EnumerateObject())
        {
            if (pair.Value.ValueKind != JsonValueKind.String)
                throw Corrupt($"__metadata__ '{pair.Name}' is a JSON {pair.Value.ValueKind}, expected a string");
            _metadata[pair.Name] = pair.Value.GetString()!;
        }
    }

    private SafetensorsTensorInfo ReadTensor(string name, JsonElement entry, long dataLength)
    {
        string what = $"tensor '{name}'";
        if (entry.ValueKind != JsonValueKind.Object) throw Corrupt($"{what} is a JSON {entry.ValueKind}, expected an object");
        if (!entry.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Corrupt($"{what} has no string \"dtype\"");
        string dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw new UnsupportedModelException(Path, $"{what} has dtype \"{dtypeName}\", which PhiSharp does not know");
        long[] shape = ReadNonNegativeIntegers(entry, "shape", what, count: null);
        long[] offsets = ReadNonNegativeIntegers(entry, "data_offsets", what, count: 2);
        long begin = offsets[0], end = offsets[1];
        if (begin > end || end > dataLength)
            throw Corrupt($"{what} data_offsets [{begin}, {end}] lie outside the data section of {dataLength} bytes");
        long expected;
        try
        {
            expected = shape.Aggregate((long)SafetensorsDTypes.ElementSize(dtype), (product, d) => checked(product * d));
        }
        catch (OverflowException)
        {
            throw Corrupt($"{what} shape [{string.Join(", ", shape)}] overflows");
        }
        if (expected != end - begin)
            throw Corrupt($"{what} is {dtype} [{string.Join(", ", shape)}], which takes {expected} bytes, but its data_offsets span {end - begin}");
        return new SafetensorsTensorInfo(name, dtype, shape, begin, end - begin);
    }

    private long[] ReadNonNegativeIntegers(JsonElement entry, string field, string what, int? count)
    {
        if (!entry.TryGetProperty(field, out var array) || array.ValueKind != JsonValueKind.Array)
            throw Corrupt($"{what} has no \"{field}\" array");
        var values = new List<long>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetInt64(out long value) || value < 0)
                throw Corrupt($"{what} \"{field}\" holds {item.GetRawText()}, expected a non-negative integer");
            values.Add(value);
        }
        if (count is not null && values.Count != count)
            throw Corrupt($"{what} \"{field}\" has {values.Count} values, expected {count}");
        return values.ToArray();
    }

    private void AddTensor(SafetensorsTensorInfo info)
    {
        // JSON allows a name twice; safetensors does not
        if (!_tensorsByName.TryAdd(info.Name, info)) throw Corrupt($"tensor '{info.Name}' appears twice");
        _tensors.Add(info);
    }

    private ModelFormatException Corrupt(string message) => new(Path, message);
}
