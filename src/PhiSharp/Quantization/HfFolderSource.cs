using System.Runtime.InteropServices;
using PhiSharp.Formats;
using PhiSharp.Formats.Gguf;
using PhiSharp.Formats.HuggingFace;
using PhiSharp.Formats.Safetensors;
using PhiSharp.Models;
using PhiSharp.Tensors;

namespace PhiSharp.Quantization;

/// <summary>
/// A Hugging Face folder (config.json, safetensors in BF16 / F16 / F32, tokenizer.json or its architecture's tiktoken
/// files) seen as the GGUF that llama.cpp's convert_hf_to_gguf.py makes of it: its architecture's <see cref="GgufConversion"/> gives the tensor
/// names, the tensors computed from the config and the architecture's keys; vectors are stored as F32, and the
/// tokenizer metadata comes from <see cref="HfTokenizerMetadata"/>.
/// </summary>
internal sealed unsafe class HfFolderSource : IQuantizationSource
{
    readonly string _folder;
    readonly SafetensorsCheckpoint _weights;
    readonly GgufConversion _conversion;
    readonly ModelArchitecture _architecture;
    readonly Dictionary<string, string> _hfNameByGguf = new(StringComparer.Ordinal);
    readonly Dictionary<string, float[]> _computed = new(StringComparer.Ordinal);
    readonly List<byte[]> _pinned = [];

    public IReadOnlyList<(string Name, long[] Dims, GgmlType Type)> Tensors { get; }
    public int LayerCount => _conversion.LayerCount;
    public long ByteCount { get; }

    HfFolderSource(string folder, SafetensorsCheckpoint weights, ModelArchitecture architecture, GgufConversion conversion)
    {
        _folder = folder;
        _architecture = architecture;
        _weights = weights;
        _conversion = conversion;
        var tensors = new List<(string, long[], GgmlType)>();
        foreach (var (gguf, hf) in conversion.Tensors)
        {
            if (!weights.TryGetTensor(hf, out WeightTensor t))
                throw new ModelFormatException(folder, $"tensor '{hf}' is missing from the safetensors files");
            _hfNameByGguf[gguf] = hf;
            // convert_hf_to_gguf.py stores vectors (norms) as F32 whatever the checkpoint's type.
            tensors.Add((gguf, t.Dims, t.Dims.Length == 1 ? GgmlType.F32 : t.Type));
        }
        foreach (var (gguf, values) in conversion.ComputedTensors)
        {
            _computed[gguf] = values;
            tensors.Add((gguf, [values.Length], GgmlType.F32));
        }
        Tensors = tensors;
        ByteCount = conversion.Tensors.Sum(m => weights.TryGetTensor(m.HuggingFace, out var t) ? t.ByteLength : 0);
    }

    /// <summary>Opens <paramref name="folder"/>, whose architecture must be one PhiSharp converts.</summary>
    public static HfFolderSource Open(string folder)
    {
        var config = HfModelConfig.Load(folder);
        var architecture = ArchitectureRegistry.ForHuggingFace(config);
        if (!architecture.ConvertsToGguf)
            throw new UnsupportedModelException(config.FilePath, $"architecture '{ArchitectureRegistry.HfName(config)}' cannot be converted (supported: " +
                string.Join(", ", ArchitectureRegistry.All.Where(a => a.ConvertsToGguf).SelectMany(a => a.HfArchitectures)) + ")");
        var conversion = architecture.ToGguf(config);
        var weights = SafetensorsCheckpoint.Open(folder, new TensorFileOptions { UseMemoryMap = true });
        try
        {
            return new HfFolderSource(folder, weights, architecture, conversion);
        }
        catch
        {
            weights.Dispose();
            throw;
        }
    }

    public void WriteMetadata(GgufWriter writer, QuantizationScheme scheme)
    {
        _conversion.WriteMetadata(writer, Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(_folder))), scheme.FileType);
        HfTokenizerMetadata.Write(writer, _folder, _conversion.VocabSize, _architecture);
        writer.AddMetadata("general.quantization_version", GgufQuantizer.QuantizationVersion);
    }

    public WeightTensor GetTensor(string name)
    {
        if (_computed.TryGetValue(name, out float[]? values))
        {
            // Pinned for the life of the source: the quantizer reads it through a pointer like any mapped tensor.
            var pinned = GC.AllocateArray<byte>(values.Length * sizeof(float), pinned: true);
            MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(pinned);
            _pinned.Add(pinned);
            return new WeightTensor(name, GgmlType.F32, [values.Length], (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(pinned, 0), pinned.Length);
        }
        return _weights.TryGetTensor(_hfNameByGguf[name], out WeightTensor tensor)
            ? tensor
            : throw new ModelFormatException(_folder, $"tensor '{_hfNameByGguf[name]}' is missing");
    }

    public void Release(string name, WeightTensor tensor)
    {
        if (!_computed.ContainsKey(name)) MappedPages.Release(tensor.Data, tensor.ByteLength); // computed tensors are not mapped
    }

    public void Dispose() => _weights.Dispose();
}
