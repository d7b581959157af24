using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Interp.Cli;

return CommandLine.Execute(args);

/// <summary>
/// <c>interp</c>: the verbs (each a Command class that parses, calls one library pipeline and prints), the help
/// generated from them, and one rule for what goes wrong: one line on stderr, "interp VERB: what is wrong", and the
/// exit status of <see cref="ExitStatus"/> (2 for bad input, 1 for a failure of the machine, 4 for a diverged run).
/// </summary>
public static class CommandLine
{
    public static RootCommand Root()
    {
        var demo = new DemoCommand();
        var root = new RootCommand("Interp: a tensor and autograd engine with mechanistic-interpretability tools. With no verb, runs the demo.")
        {
            demo,
            new Command("train", "Trains a model: mlp, cnn, induction or modadd.") { new TrainMlpCommand(), new TrainCnnCommand(), new TrainInductionCommand(), new TrainModAddCommand() },
            new TokensCommand(), new GenerateCommand(),
            new PatchCommand(), new AttribCommand(), new HeadsCommand(), new NormsCommand(), new LensCommand(),
            new SaeCommand(), new FeatvizCommand(), new UnspeakableCommand(),
            new NeuronsCommand(), new AblateCommand(), new PcaCommand(), new ReadoutCommand(), new FeaturesCommand(), new TransformCommand(), new RuleCommand(),
            new Command("case", "The case studies, each writing an HTML report: norms, docstring, eis7-cnn, eis7-transformer, code-lm.")
            {
                new CaseNormsCommand(), new DocstringCaseCommand(), new Eis7CnnCaseCommand(), new Eis7TransformerCaseCommand(), new CodeLmCaseCommand(),
            },
        };
        root.HelpName = "interp";   // else the executable's name, which is the test host's in tests
        root.SetAction(_ => demo.Run(demo.Parse([])));
        ListVerbsByTheirFirstLine(root);
        return root;
    }

    // a verb's description is a one-line summary, a blank line, then the details: listings show the summary, its
    // own --help both
    static void ListVerbsByTheirFirstLine(RootCommand root)
    {
        var details = new Dictionary<Command, string>();
        void Split(Command command)
        {
            foreach (var verb in command.Subcommands)
            {
                var parts = (verb.Description ?? "").Split("\n\n", 2);
                verb.Description = parts[0];
                if (parts.Length > 1) details[verb] = parts[1];
                Split(verb);
            }
        }
        Split(root);
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithDetails((HelpAction)help.Action!, details);
    }

    sealed class HelpWithDetails(HelpAction help, Dictionary<Command, string> details) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult result)
        {
            int exit = help.Invoke(result);
            if (details.TryGetValue(result.CommandResult.Command, out var text))
                result.InvocationConfiguration.Output.WriteLine($"Details:\n  {text.TrimEnd().Replace("\n", "\n  ")}\n");
            return exit;
        }
    }

    /// <summary>The whole program, callable in-process (tests).</summary>
    public static int Execute(string[] args)
    {
        var result = Root().Parse(args);
        string verb = VerbOf(result);
        if (result.Errors.Count > 0)
        {
            Console.Error.WriteLine($"{verb}: {ParseError(result)} (see {verb} --help)");
            return ExitStatus.BadInput;
        }
        try
        {
            return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = Console.Out, Error = Console.Error });
        }
        catch (Exception e)
        {
            var (status, line) = ExitStatus.Of(e);
            Console.Error.WriteLine($"{verb}: {line}");
            if (Environment.GetEnvironmentVariable(ExitStatus.StackTraceVariable) == "1") Console.Error.WriteLine(e);
            return status;
        }
    }

    static string ParseError(ParseResult result)
    {
        if (result.UnmatchedTokens.Count > 0) return $"unexpected argument '{result.UnmatchedTokens[0]}'";
        var command = result.CommandResult.Command;
        if (command.Action is null && command.Subcommands.Count > 0)   // "interp case" alone: the usage, in one line
            return $"needs one of {string.Join(", ", command.Subcommands.Select(c => c.Name))}";
        return result.Errors[0].Message.Split('\n')[0].TrimEnd('.');
    }

    /// <summary>"interp train cnn" for the verb the arguments name.</summary>
    static string VerbOf(ParseResult result)
    {
        var names = new List<string>();
        for (SymbolResult? s = result.CommandResult; s is CommandResult c; s = c.Parent)
            names.Insert(0, c.Parent is null ? "interp" : c.Command.Name);
        return string.Join(' ', names);
    }
}
