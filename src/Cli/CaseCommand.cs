namespace Interp.Cli;

/// <summary><c>interp case NAME</c>: the case studies, each writing an HTML report section into a folder.</summary>
public static class CaseCommand
{
    public const string Usage = """
        usage: interp case eis7-cnn [options]          (see interp case eis7-cnn --help)
               interp case eis7-transformer [options]  (see interp case eis7-transformer --help)
               interp case docstring [options]         (see interp case docstring --help)
               interp case norms --model PATH ...      (see interp case norms --help)

        The EIS VII mechanistic-interpretability challenges (Casper, 2023) on the data in ../shared/data/eis7:
          eis7-cnn          the challenge's MNIST CNN on 10,000 real digits: class fractions, top and most confusing
                            digits of every channel and logit, saliency maps, agreement of labelling rules
          eis7-transformer  retrains the challenge's 1-layer transformer on its secret labels and analyses it
        And:
          docstring         trains a 4-layer attention-only model to name the next :param and finds its circuit
        """;

    public static int Run(string[] args) => args switch
    {
        ["eis7-cnn", .. var rest] => Eis7CnnCase.Run(rest),
        ["eis7-transformer", .. var rest] => Eis7TransformerCase.Run(rest),
        ["docstring", .. var rest] => DocstringCase.Run(rest),
        [] or ["-h" or "--help"] => Help(),
        [var name, ..] => throw new CliError($"interp case: no case named '{name}' (eis7-cnn, eis7-transformer, docstring or norms)"),
    };

    static int Help()
    {
        Console.WriteLine(Usage);
        return 0;
    }
}
