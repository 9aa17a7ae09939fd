namespace PhiSharp.Formats.Gguf;

// Typed metadata accessors. Get* throws ModelFormatException naming the file and key when the key is missing or of
// the wrong kind; TryGet* returns false only when the key is missing (a present value of the wrong kind is still a
// format error). Integer accessors accept any integer kind whose value fits, since writers differ in the width they
// use for a field; array accessors require the exact element kind.
internal sealed partial class GgufFile
{
    public bool ContainsKey(string key) => _metadataByKey.ContainsKey(key);

    public bool TryGetMetadata(string key, out GgufMetadataValue value) => _metadataByKey.TryGetValue(key, out value!);

    public GgufMetadataValue GetMetadata(string key) =>
        _metadataByKey.TryGetValue(key, out var value)
            ? value
            : throw new ModelFormatException(Path, $"metadata '{key}' is missing");

    public string GetString(string key) => GetMetadata(key).AsString();
    public bool GetBool(string key) => GetMetadata(key).AsBool();
    public uint GetUInt32(string key) => GetMetadata(key).AsUInt32();
    public int GetInt32(string key) => GetMetadata(key).AsInt32();
    /// <summary>An integer that must be at least 1, such as a size or a context length.</summary>
    public int GetPositiveInt32(string key) =>
        GetInt32(key) is var value && value > 0 ? value : throw new ModelFormatException(Path, $"metadata '{key}' is {value}, expected a positive integer");
    public ulong GetUInt64(string key) => GetMetadata(key).AsUInt64();
    public long GetInt64(string key) => GetMetadata(key).AsInt64();
    public float GetFloat32(string key) => GetMetadata(key).AsFloat32();
    public double GetFloat64(string key) => GetMetadata(key).AsFloat64();

    public bool TryGetString(string key, out string value) => TryGet(key, v => v.AsString(), out value!);
    public bool TryGetBool(string key, out bool value) => TryGet(key, v => v.AsBool(), out value);
    public bool TryGetUInt32(string key, out uint value) => TryGet(key, v => v.AsUInt32(), out value);
    public bool TryGetInt32(string key, out int value) => TryGet(key, v => v.AsInt32(), out value);
    public bool TryGetUInt64(string key, out ulong value) => TryGet(key, v => v.AsUInt64(), out value);
    public bool TryGetInt64(string key, out long value) => TryGet(key, v => v.AsInt64(), out value);
    public bool TryGetFloat32(string key, out float value) => TryGet(key, v => v.AsFloat32(), out value);
    public bool TryGetFloat64(string key, out double value) => TryGet(key, v => v.AsFloat64(), out value);

    /// <summary>An array whose element kind matches <typeparamref name="T"/> (float: Float32, int: Int32, ...).</summary>
    public T[] GetArray<T>(string key) where T : unmanaged => GetMetadata(key).ToArray<T>();
    public bool TryGetArray<T>(string key, out T[] value) where T : unmanaged => TryGet(key, v => v.ToArray<T>(), out value!);

    /// <summary>A string array, e.g. tokenizer.ggml.tokens or tokenizer.ggml.merges.</summary>
    public string[] GetStringArray(string key) => GetMetadata(key).ToStringArray();
    public bool TryGetStringArray(string key, out string[] value) => TryGet(key, v => v.ToStringArray(), out value!);

    /// <summary>A Float32 array, e.g. tokenizer.ggml.scores.</summary>
    public float[] GetFloat32Array(string key) => GetArray<float>(key);
    public bool TryGetFloat32Array(string key, out float[] value) => TryGetArray(key, out value);

    /// <summary>An Int32 array, e.g. tokenizer.ggml.token_type.</summary>
    public int[] GetInt32Array(string key) => GetArray<int>(key);
    public bool TryGetInt32Array(string key, out int[] value) => TryGetArray(key, out value);

    private bool TryGet<T>(string key, Func<GgufMetadataValue, T> read, out T value)
    {
        if (_metadataByKey.TryGetValue(key, out var metadata))
        {
            value = read(metadata);
            return true;
        }
        value = default!;
        return false;
    }
}
