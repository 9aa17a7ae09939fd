using System.CommandLine;
using Spectre.Console;

namespace PhiSharp.Cli.Commands;

static class InfoCommand
{
    public static Command Create()
    {
        var command = new Command("info", "Show a model's architecture, size, tensor types and memory needs");
        ModelArguments.AddTo(command);
        command.SetAction(parse => ModelArguments.Guard(() =>
        {
            using var model = ModelArguments.Load(parse);
            var info = model.Info;
            var table = new Table().AddColumn("property").AddColumn("value");
            table.AddRow("name", Markup.Escape(info.Name));
            table.AddRow("file", Markup.Escape(info.Path));
            table.AddRow("format", info.Format);
            table.AddRow("model", Markup.Escape(info.FamilyMember));
            table.AddRow("architecture", info.Architecture);
            table.AddRow("parameters", $"{info.ParameterCount:N0} ({info.ParameterCount / 1e9:F2} B)");
            table.AddRow("layers / hidden / heads / kv heads", $"{info.LayerCount} / {info.HiddenSize} / {info.HeadCount} / {info.KeyValueHeadCount}");
            table.AddRow("vocabulary", $"{info.VocabSize:N0}");
            table.AddRow("context length", $"{info.ContextLength:N0}");
            table.AddRow("tensor types", string.Join(", ", info.TensorTypes.Select(t => $"{t.Key} × {t.Value}")));
            table.AddRow("weights", Bytes(info.WeightBytes));
            table.AddRow($"KV cache (full context, {info.KvCache.ToString().ToLowerInvariant()})", Bytes(info.KvCacheBytesPerToken * info.ContextLength));
            table.AddRow("estimated memory (weights + 4096-token cache)", Bytes(info.WeightBytes + info.KvCacheBytesPerToken * info.DefaultContextLength));
            table.AddRow("kernels on this CPU", $"{KernelTier.Name} ({string.Join(" ", KernelTier.CpuFeatures)})");
            AnsiConsole.Write(table);
            return Task.FromResult(0);
        }));
        return command;
    }

    static string Bytes(long n) => n >= 1L << 30 ? $"{n / (double)(1L << 30):F2} GiB" : $"{n / (double)(1L << 20):F1} MiB";
}
