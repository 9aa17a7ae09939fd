using System.CommandLine;
using PhiSharp;
using PhiSharp.Cli.Commands.Models;
using PhiSharp.Hub;

namespace PhiSharp.Cli.Commands;

/// <summary>The options every model-loading command shares, and the one place their errors become messages.</summary>
static class ModelArguments
{
    // Not required by the parser: without it the command says how to get a model (ModelLocator).
    public static readonly Option<string> Model = new("--model", "-m")
    {
        Description = "A GGUF file, a Hugging Face model folder (config.json, *.safetensors, tokenizer.json), or a name " +
                      "downloaded on first use: an alias (phi3, phi4-mini, ...), a repository id or repo:file.gguf (docs/MODELS.md)",
    };

    public static readonly Option<bool> Offline = new("--offline")
    {
        Description = "Load a named model only from the cache (as HF_HUB_OFFLINE=1): never download",
    };

    public static readonly Option<int> Threads = new Option<int>("--threads", "-t")
    {
        Description = "Worker threads: 0 (the default) uses every logical core; at most 4 × the cores",
    }.ThreadCount();

    public static readonly Option<bool> NoMmap = new("--no-mmap")
    {
        Description = "Read the weights into memory (default for a GGUF file that takes at most half of the memory)",
    };

    public static readonly Option<bool> Mmap = new("--mmap")
    {
        Description = "Map the weight file instead of reading it (instant load; Q4_0 matmuls are slower)",
    };

    public static readonly Option<string?> Quantize = new("--quantize")
    {
        Description = "Hugging Face folders: quantize the weights while loading (q4_0 or q8_0)",
    };

    public static readonly Option<string> KvCache = new("--kv-cache")
    {
        Description = "Precision of the key/value cache: f16 (default, half the memory) or f32",
        DefaultValueFactory = _ => "f16",
    };

    public static readonly Option<int?> Context = new Option<int?>("--ctx")
    {
        Description = "Context length in tokens, at most the model's (default: run: prompt + max tokens; chat: the model's, at most 4096)",
    }.AtLeast(2, "a prompt token and a generated one");

    public static readonly Option<string?> ChatFormat = new("--chat-format")
    {
        Description = $"Format chats with a built-in template ({string.Join(", ", Tokenizers.ChatFormats.Names)}) instead of the model's own; "
            + "needed for a model that ships none (Phi-2) or one that does not parse",
    };

    /// <summary>Adds <see cref="ChatFormat"/> to a command that formats chats.</summary>
    public static void AddChatFormatTo(Command command) => command.Options.Add(ChatFormat);

    public static void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Threads);
        command.Options.Add(NoMmap);
        command.Options.Add(Mmap);
        command.Options.Add(Quantize);
        command.Options.Add(KvCache);
        command.Options.Add(Offline);
        command.Validators.Add(result =>
        {
            if (result.GetValue(NoMmap) && result.GetValue(Mmap)) result.AddError("--mmap and --no-mmap exclude each other.");
        });
    }

    /// <summary>Loads --model: a path as it is, a name pulled first (progress as plain lines on stderr when
    /// <paramref name="plainProgress"/>, as for --json output).</summary>
    public static LanguageModel Load(ParseResult parse, bool plainProgress = false, CancellationToken cancellation = default)
    {
        string path = ModelLocator.ResolveAsync(parse.GetValue(Model), parse.GetValue(Offline), plainProgress, cancellation).GetAwaiter().GetResult();
        var options = Options(parse);
        if (WeightBytes(path) < LargeModelBytes) return LanguageModel.Load(path, options);
        return ProgressDisplay.RunAsync(plainProgress, announceEnd: false, progress => Task.Run(() => LanguageModel.Load(path, options with
        {
            Progress = new LoadRelay(p => progress.Report(new WorkProgress("loading", p.File, p.BytesRead, p.TotalBytes, WorkUnit.Bytes))),
        }))).GetAwaiter().GetResult();
    }

    /// <summary>Reading this much takes seconds (a Phi-3-mini Q4_K_M is 2.4 GB), so its load shows progress.</summary>
    const long LargeModelBytes = 256L << 20;

    /// <summary>The bytes a load may read: the GGUF file, or a folder's safetensors files.</summary>
    static long WeightBytes(string path) =>
        File.Exists(path) ? new FileInfo(path).Length
        : Directory.Exists(path) ? new DirectoryInfo(path).EnumerateFiles("*.safetensors").Sum(f => f.Length) : 0;

    sealed class LoadRelay(Action<LoadProgress> report) : IProgress<LoadProgress>
    {
        public void Report(LoadProgress value) => report(value);
    }

    static LoadOptions Options(ParseResult parse) => new()
    {
        Threads = parse.GetValue(Threads),
        UseMemoryMap = parse.GetValue(Mmap) ? true : parse.GetValue(NoMmap) ? false : null,
        KvCache = parse.GetValue(KvCache) switch
        {
            "f16" => KvCacheType.F16,
            "f32" => KvCacheType.F32,
            var other => throw new ArgumentException($"--kv-cache takes f16 or f32, not '{other}'"),
        },
        ChatFormat = parse.CommandResult.Command.Options.Contains(ChatFormat) && parse.GetValue(ChatFormat) is { } format
            ? Tokenizers.ChatFormats.Parse(format) : null,
        Quantize = parse.GetValue(Quantize) switch
        {
            null => null,
            "q4_0" => Tensors.GgmlType.Q4_0,
            "q8_0" => Tensors.GgmlType.Q8_0,
            var other => throw new ArgumentException($"--quantize takes q4_0 or q8_0, not '{other}'"),
        },
    };

    /// <summary>Runs a command body, turning the errors a user can cause into one line on stderr and exit code 1.</summary>
    public static async Task<int> Guard(Func<Task<int>> body)
    {
        try
        {
            return await body();
        }
        catch (Exception e) when (e is ModelFormatException or UnsupportedModelException or FileNotFoundException
                                       or DirectoryNotFoundException or ArgumentException or InvalidOperationException
                                       or IOException or UnauthorizedAccessException or FormatException or HubException)
        {
            Console.Error.WriteLine($"error: {Sentence(e)}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
    }

    /// <summary>The message alone: an ArgumentException appends "(Parameter 'name')" and an out-of-range one a line
    /// "Actual value was ...", which speak to programmers; the sentence already names the option and the value.</summary>
    static string Sentence(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Split(Environment.NewLine)[0].Replace($" (Parameter '{name}')", "") : e.Message;

    /// <summary>Parses "1,2,3" into token ids.</summary>
    public static int[] ParseIds(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new FormatException("--ids needs at least one token id, e.g. --ids 1,2,3");
        return parts.Select(p => int.TryParse(p, out int id) && id >= 0
            ? id
            : throw new FormatException($"'{p}' in --ids is not a token id (a non-negative integer)")).ToArray();
    }
}
