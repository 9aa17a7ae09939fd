using System.CommandLine;
using System.Diagnostics;
using PhiSharp.Models;
using PhiSharp.Tokenizers;
using Spectre.Console;

namespace PhiSharp.Cli.Commands;

static class ChatCommand
{
    public static Command Create()
    {
        var system = new Option<string?>("--system") { Description = "A system prompt for the whole conversation" };
        var command = new Command("chat", "Chat interactively; /reset starts over, /exit (or Ctrl+D) quits, Ctrl+C stops a reply");
        ModelArguments.AddTo(command);
        ModelArguments.AddChatFormatTo(command);
        GenerationArguments.AddTo(command);
        command.Options.Add(system);
        command.SetAction((parse, cancel) => ModelArguments.Guard(async () =>
        {
            var options = GenerationArguments.Read(parse);
            options.Sampling.Validate();
            using var model = ModelArguments.Load(parse);
            model.ChatTemplate.ThrowIfUnusable();
            options = options with { ContextLength = options.ContextLength ?? model.Info.DefaultContextLength };
            KvCacheBudget.Check(model.Info, options.ContextLength.Value, contextName: "--ctx");
            var history = new List<ChatMessage>();
            if (parse.GetValue(system) is { } s) history.Add(new ChatMessage("system", s));
            int keep = history.Count;
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(model.Info.Architecture)} · {model.Info.ParameterCount / 1e9:F2} B parameters · /reset, /exit[/]");

            while (true)
            {
                AnsiConsole.Markup("[bold green]> [/]");
                string? line = Console.ReadLine();
                if (line is null || line.Trim() == "/exit") return 0;
                if (line.Trim() == "/reset") { history.RemoveRange(keep, history.Count - keep); continue; }
                if (string.IsNullOrWhiteSpace(line)) continue;
                history.Add(new ChatMessage("user", line));
                var prompt = model.Tokenizer.Encode(model.ChatTemplate.Format(history, addGenerationPrompt: true), parseSpecial: true);
                if (prompt.Length >= options.ContextLength)
                {
                    AnsiConsole.MarkupLine($"[red]The conversation ({prompt.Length} tokens) no longer fits the context ({options.ContextLength}); /reset to start over.[/]");
                    history.RemoveAt(history.Count - 1);
                    continue;
                }

                // Ctrl+C stops this reply, not the program.
                using var turn = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                ConsoleCancelEventHandler stop = (_, e) => { e.Cancel = true; turn.Cancel(); };
                Console.CancelKeyPress += stop;
                var reply = new System.Text.StringBuilder();
                var clock = Stopwatch.StartNew();
                int count = 0;
                try
                {
                    await foreach (var token in model.Generator.GenerateAsync(prompt, options, turn.Token))
                    {
                        Console.Write(token.Text);
                        reply.Append(token.Text);
                        count++;
                    }
                }
                catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { }
                finally { Console.CancelKeyPress -= stop; }
                Console.WriteLine();
                AnsiConsole.MarkupLine($"[grey]{count} tokens · {count / clock.Elapsed.TotalSeconds:F1} tok/s[/]");
                history.Add(new ChatMessage("assistant", reply.ToString()));
            }
        }));
        return command;
    }
}
