using System.Text.Json;
using PhiSharp.Tensors;

namespace PhiSharp.Formats.Safetensors;

/// <summary>
/// A Hugging Face checkpoint as one tensor source: a single model.safetensors, or shards listed by
/// model.safetensors.index.json, whose "weight_map" maps each tensor name to the shard file holding it.
/// </summary>
internal sealed class SafetensorsCheckpoint : ITensorSource
{
    public const string IndexFileName = "model.safetensors.index.json";
    public const string SingleFileName = "model.safetensors";

    private readonly List<SafetensorsFile> _shards = [];
    private readonly Dictionary<string, SafetensorsFile> _shardByTensor = new(StringComparer.Ordinal);

    /// <summary>The index file, or the single safetensors file.</summary>
    public string Path { get; }
    public IReadOnlyList<SafetensorsFile> Shards => _shards;
    public IReadOnlyCollection<string> TensorNames => _shardByTensor.Keys;

    private SafetensorsCheckpoint(string path) => Path = path;

    /// <summary>Opens <paramref name="path"/>: a model folder (index if present, else model.safetensors),
    /// an index .json file, or one .safetensors file.</summary>
    public static SafetensorsCheckpoint Open(string path, TensorFileOptions? options = null)
    {
        if (Directory.Exists(path))
        {
            string index = System.IO.Path.Combine(path, IndexFileName);
            path = File.Exists(index) ? index : System.IO.Path.Combine(path, SingleFileName);
        }
        var checkpoint = new SafetensorsCheckpoint(path);
        try
        {
            if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase)) checkpoint.OpenShards(options);
            else checkpoint.AddShard(SafetensorsFile.Open(path, options), null);
            return checkpoint;
        }
        catch
        {
            checkpoint.Dispose();
            throw;
        }
    }

    public bool TryGetTensor(string name, out WeightTensor tensor)
    {
        if (_shardByTensor.TryGetValue(name, out var shard)) return shard.TryGetTensor(name, out tensor);
        tensor = default;
        return false;
    }

    public bool TryGetTensorInfo(string name, out SafetensorsTensorInfo info)
    {
        if (_shardByTensor.TryGetValue(name, out var shard)) return shard.TryGetTensorInfo(name, out info);
        info = null!;
        return false;
    }

    /// <summary>The shard holding tensor <paramref name="name"/>, e.g. to read non-weight dtypes raw.</summary>
    public bool TryGetShard(string name, out SafetensorsFile shard) => _shardByTensor.TryGetValue(name, out shard!);

    public void Dispose()
    {
        foreach (var shard in _shards) shard.Dispose();
        _shards.Clear();
    }

    private void OpenShards(TensorFileOptions? options)
    {
        Dictionary<string, string> weightMap = ReadWeightMap();
        string folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!;
        foreach (var group in weightMap.GroupBy(pair => pair.Value, StringComparer.Ordinal))
        {
            string shardName = group.Key;
            if (shardName.Length == 0 || shardName.IndexOfAny(['/', '\\']) >= 0 || shardName is "." or "..")
                throw new ModelFormatException(Path, $"weight_map names shard \"{shardName}\", which is not a plain file name");
            string shardPath = System.IO.Path.Combine(folder, shardName);
            if (!File.Exists(shardPath))
                throw new ModelFormatException(Path, $"shard '{shardName}' listed in weight_map does not exist");
            AddShard(SafetensorsFile.Open(shardPath, options), group.Select(pair => pair.Key));
        }
    }

    private Dictionary<string, string> ReadWeightMap()
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(Path));
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelFormatException(Path, $"not valid JSON: {e.Message}", e);
        }
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
            throw new ModelFormatException(Path, "has no \"weight_map\" object");
        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var entry in map.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new ModelFormatException(Path, $"weight_map '{entry.Name}' is a JSON {entry.Value.ValueKind}, expected a shard file name");
            if (!weightMap.TryAdd(entry.Name, entry.Value.GetString()!))
                throw new ModelFormatException(Path, $"weight_map lists '{entry.Name}' twice");
        }
        return weightMap;
    }

    /// <summary>Adds a shard serving <paramref name="names"/> (all its tensors when null).</summary>
    private void AddShard(SafetensorsFile shard, IEnumerable<string>? names)
    {
        _shards.Add(shard);
        foreach (string name in names ?? shard.TensorNames)
        {
            if (!shard.TryGetTensorInfo(name, out _))
                throw new ModelFormatException(Path, $"tensor '{name}' is mapped to shard '{System.IO.Path.GetFileName(shard.Path)}', which does not contain it");
            _shardByTensor.Add(name, shard);
        }
    }
}
