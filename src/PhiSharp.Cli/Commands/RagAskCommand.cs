using System.CommandLine;
using PhiSharp.Rag.Answering;
using PhiSharp.Rag.Retrieval;
using PhiSharp.Rag.Storage;

namespace PhiSharp.Cli.Commands;

/// <summary>`phi rag ask`: retrieve, answer from numbered sources with a streamed reply, list the sources cited.</summary>
static class RagAskCommand
{
    public static Command Create(Option<string> db, Option<int> top)
    {
        var question = new Argument<string>("question") { Description = "The question to answer from the documents" };
        var command = new Command("ask", "Answer a question from the indexed documents, citing them");
        command.Options.Add(db);
        command.Options.Add(top);
        command.Options.Add(RagEmbedding.Model);
        command.Options.Add(RagEmbedding.Mode);
        command.Options.Add(RagEmbedding.Mmr);
        ModelArguments.AddTo(command);
        ModelArguments.AddChatFormatTo(command);
        GenerationArguments.AddTo(command);
        command.Arguments.Add(question);
        command.SetAction((parse, cancel) => RagCommand.Guard(async () =>
        {
            var text = parse.GetValue(question)!;
            var options = GenerationArguments.Read(parse);
            options.Sampling.Validate();
            using var store = RagStore.Open(parse.GetValue(db)!, create: false);
            IReadOnlyList<RetrievedChunk> hits;
            using (var embedder = RagEmbedding.ForSearch(parse, store))
            using (var companion = RagEmbedding.CompanionForSearch(parse, store, embedder))
                hits = await new Retriever(store, embedder, companion).SearchAsync(text, parse.GetValue(top), parse.GetValue(RagEmbedding.Mode),
                    parse.GetValue(RagEmbedding.Mmr), cancel);
            if (hits.Count == 0)
            {
                // Nothing shares a word with the question: the model would only guess.
                Console.WriteLine($"{GroundedPrompt.Unknown} (nothing in the documents matches the question)");
                return 0;
            }

            using var model = ModelArguments.Load(parse);
            int context = Math.Min(options.ContextLength ?? model.Info.ContextLength, model.Info.ContextLength);
            int budget = context - options.MaxTokens;
            if (budget <= 0) throw new ArgumentException($"--max-tokens {options.MaxTokens} leaves no room for the prompt in a {context}-token context");
            var (prompt, sources) = GroundedPrompt.ForModel(text, hits, model, budget);
            var answer = new System.Text.StringBuilder();
            await foreach (var token in model.Generator.GenerateAsync(prompt, options with { ContextLength = context }, cancel))
            {
                answer.Append(token.Text);
                Console.Write(token.Text);
            }
            Console.WriteLine();
            var cited = GroundedPrompt.Cited(answer.ToString(), sources);
            Console.WriteLine();
            Console.WriteLine(cited.Count == 0 ? "sources: none cited" : "sources:");
            foreach (var source in cited) Console.WriteLine($"[{source.Number}] {source.Label}");
            return 0;
        }));
        return command;
    }
}
