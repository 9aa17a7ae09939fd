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
        var command = new Command("chat", "Chat interactively; /image PATH attaches an image to the next message (Phi-3-vision), /reset starts over, /exit (or Ctrl+D) quits, Ctrl+C stops a reply");
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
            using var images = new ChatImages(model, options.ContextLength.Value);
            AnsiConsole.MarkupLine($"[grey]{Markup.Escape(model.Info.Architecture)} · {model.Info.ParameterCount / 1e9:F2} B parameters · /image PATH, /reset, /exit[/]");

            while (true)
            {
                AnsiConsole.Markup("[bold green]> [/]");
                string? line = Console.ReadLine();
                if (line is null || line.Trim() == "/exit") return 0;
                if (line.Trim() == "/reset") { history.RemoveRange(keep, history.Count - keep); images.Keep(0); continue; }
                if (line.TrimStart().StartsWith("/image ", StringComparison.Ordinal))
                {
                    if (images.Attach(line.TrimStart()["/image ".Length..]) is { } problem) AnsiConsole.MarkupLine($"[red]{Markup.Escape(problem)}[/]");
                    else AnsiConsole.MarkupLine($"[grey]image {images.Count} attached to your next message[/]");
                    continue;
                }
                if (string.IsNullOrWhiteSpace(line)) continue;
                int sentBefore = images.Sent;
                history.Add(new ChatMessage("user", images.TakeTags() + line));
                string text = model.ChatTemplate.Format(history, addGenerationPrompt: true);
                var withImages = images.Count > 0 ? images.Prepare(text) : null;
                var prompt = withImages?.Ids ?? model.Tokenizer.Encode(text, parseSpecial: true);
                if (prompt.Length >= options.ContextLength)
                {
                    AnsiConsole.MarkupLine($"[red]The conversation ({prompt.Length} tokens) no longer fits the context ({options.ContextLength}); /reset to start over.[/]");
                    history.RemoveAt(history.Count - 1);
                    images.Keep(sentBefore);
                    continue;
                }
                var session = withImages is null ? null : images.Evaluate(withImages);

                // Ctrl+C stops this reply, not the program.
                using var turn = CancellationTokenSource.CreateLinkedTokenSource(cancel);
                ConsoleCancelEventHandler stop = (_, e) => { e.Cancel = true; turn.Cancel(); };
                Console.CancelKeyPress += stop;
                var reply = new System.Text.StringBuilder();
                var clock = Stopwatch.StartNew();
                int count = 0;
                try
                {
                    var tokens = session is not null
                        ? model.Generator.GenerateAsync(session, prompt, options, turn.Token)
                        : model.Generator.GenerateAsync(prompt, options, turn.Token);
                    await foreach (var token in tokens)
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
