using PhiSharp.Generation;
using PhiSharp.Models;
using PhiSharp.Tokenizers;

namespace PhiSharp;

/// <summary>The precision of a session's cached keys and values.</summary>
public enum KvCacheType
{
    /// <summary>float16: half the memory; keys and values are rounded once when cached (llama.cpp's default).</summary>
    F16,
    /// <summary>float32: what Hugging Face transformers computes with.</summary>
    F32,
}

/// <summary>How a model is loaded.</summary>
public sealed record LoadOptions
{
    /// <summary>True: map the weight files (instant load, pages shared with the OS cache). False: read them into
    /// memory, where Q4_0 matrices are also rearranged for faster matmuls. Null (the default): read into memory when the
    /// file takes at most half of the machine's memory, else map.</summary>
    public bool? UseMemoryMap { get; init; }

    /// <summary>Hugging Face folders only: quantize the float matrices to Q4_0 or Q8_0 while loading (the output head
    /// as llama.cpp's files of that type have it), so safetensors run on the integer kernels without a conversion.</summary>
    public Tensors.GgmlType? Quantize { get; init; }

    /// <summary>A built-in chat format to use instead of the model's own chat template; needed to chat with a model
    /// that ships none (Phi-2, base models) or one that does not parse. Null (the default): the model's template.</summary>
    public Tokenizers.ChatFormat? ChatFormat { get; init; }

    /// <summary>Precision of the key/value cache (float16 by default).</summary>
    public KvCacheType KvCache { get; init; } = KvCacheType.F16;

    /// <summary>Worker threads; 0 (the default) uses every logical core. At most <see cref="MaxThreads"/>
    /// (4 × the logical cores): more only take turns on the cores and slow every step.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative, or more than 4 × the logical cores.</exception>
    public int Threads
    {
        get;
        init
        {
            Compute.WorkerPool.ThreadsFor(value, nameof(Threads));
            field = value;
        }
    }

    /// <summary>The most <see cref="Threads"/>: 4 × the logical cores.</summary>
    public static int MaxThreads => Compute.WorkerPool.MaxThreads;

    /// <summary>Attend to every earlier key even when the config has a sliding window (llama.cpp's behaviour).</summary>
    public bool IgnoreSlidingWindow { get; init; }

    /// <summary>Told how far the weights are read into memory, file by file (nothing when they are mapped). Reports
    /// come from the reading threads, in no fixed order.</summary>
    public IProgress<LoadProgress>? Progress { get; init; }
}

/// <summary>How much of a weight file has been read into memory.</summary>
/// <param name="File">The file's name (without its folder).</param>
public sealed record LoadProgress(string File, long BytesRead, long TotalBytes);

/// <summary>What a loaded model is, for `phi info` and for sizing caches.</summary>
public sealed record ModelInfo
{
    public required string Path { get; init; }
    /// <summary>The name users know the model by: the GGUF file's name without extension, the Hugging Face folder's name,
    /// or the repository's name for a snapshot in the Hugging Face cache (Phi-3-mini-4k-instruct).</summary>
    public required string Name { get; init; }
    /// <summary>"gguf" or "safetensors".</summary>
    public required string Format { get; init; }
    public required string Architecture { get; init; }
    /// <summary>Which Phi model this is, from its configuration (and its names where members share one):
    /// "Phi-3-mini-4k", "Phi-3.5-mini", "Phi-4-mini-reasoning"; "unknown (phi3)" for any other shape.</summary>
    public required string FamilyMember { get; init; }
    public required long ParameterCount { get; init; }
    /// <summary>Parameter count per stored tensor type, e.g. Q4_K → 3.1 B.</summary>
    public required IReadOnlyDictionary<string, long> TensorTypes { get; init; }
    public required long WeightBytes { get; init; }
    public required int ContextLength { get; init; }
    public required int VocabSize { get; init; }
    public required int LayerCount { get; init; }
    public required int HiddenSize { get; init; }
    public required int HeadCount { get; init; }
    public required int KeyValueHeadCount { get; init; }
    /// <summary>The precision sessions cache keys and values in.</summary>
    public required KvCacheType KvCache { get; init; }
    /// <summary>Bytes of keys and values one token adds to the cache, over all layers, at that precision.</summary>
    public required long KvCacheBytesPerToken { get; init; }

    /// <summary>The context a chat, a chat client or a server slot takes when none is given: the model's, at most
    /// 4096 tokens (a 128k cache would take gigabytes that most conversations never use).</summary>
    public int DefaultContextLength => Math.Min(4096, ContextLength);
}

/// <summary>
/// A model ready to use: the network, its tokenizer, its chat format and the tokens that end a turn.
/// Load one from a GGUF file or a Hugging Face folder with <see cref="Load"/>.
/// </summary>
public sealed class LanguageModel : IDisposable
{
    public required ModelInfo Info { get; init; }
    public required ICausalLanguageModel Network { get; init; }
    public required ITokenizer Tokenizer { get; init; }
    public required ChatTemplate ChatTemplate { get; init; }

    /// <summary>Token ids that end generation: the model's EOS ids and the chat format's end-of-turn token.</summary>
    public required IReadOnlyCollection<int> StopTokenIds { get; init; }

    public Generator Generator => new(Network, Tokenizer, StopTokenIds);

    /// <summary>Loads a GGUF file or a Hugging Face model folder.</summary>
    /// <exception cref="FileNotFoundException">Nothing is at <paramref name="path"/>.</exception>
    /// <exception cref="ModelFormatException">A file is malformed; the message names it and the fault.</exception>
    /// <exception cref="UnsupportedModelException">The architecture or a tensor type is not supported.</exception>
    public static LanguageModel Load(string path, LoadOptions? options = null) => ModelLoader.Load(path, options ?? new LoadOptions());

    public void Dispose() => Network.Dispose();
}
