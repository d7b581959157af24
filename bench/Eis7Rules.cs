using System.Globalization;
using System.Text.Json;
using Interp.Analysis.Cases;
using Interp.Autograd;
using Interp.Nn;
using Interp.Optim;
using Interp.Training;
using Interp.Transformers;

namespace Interp.Bench;

/// <summary>
/// `Interp.Bench eis7-rules NAME (--init-from FILE | --seed S) [--max-steps N] [--after-fit N]`: the measurements behind
/// docs/case-studies.md, "Other rules from training data". Trains the challenge-2 transformer with the case's recipe
/// (`interp case eis7-transformer`) step by step, keeps exponential moving averages of the weights (decays 0.98 and 0.99,
/// updated after every step from the initial weights) and every 10th step's weights, evaluates the weights and the
/// averages on both halves every 10 steps until N steps after the first evaluation that fits the train half, then the
/// uniform averages of the kept weights over windows around the fit. Writes NAME.json; bench/eis7_rules_table.py turns
/// the eight starts' files into the table of rules.
/// </summary>
public static class Eis7Rules
{
    static readonly double[] Decays = [0.98, 0.99];
    const int EvalEvery = 10, FirstAverageEval = 250;

    public static void Run(string[] args)
    {
        if (args.Length < 1) throw new ArgumentException("usage: Interp.Bench eis7-rules NAME (--init-from FILE | --seed S) [--max-steps N] [--after-fit N]");
        string name = args[0];
        string? initFrom = null;
        ulong seed = 0;
        int maxSteps = 900, afterFit = 300;
        for (int i = 1; i + 1 < args.Length; i += 2)
            switch (args[i])
            {
                case "--init-from": initFrom = args[i + 1]; break;
                case "--seed": seed = ulong.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--max-steps": maxSteps = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                case "--after-fit": afterFit = int.Parse(args[i + 1], CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"eis7-rules: unknown option {args[i]}");
            }
        var labels = Eis7Labels.Load(Eis7Labels.DefaultPath ?? throw new FileNotFoundException("no shared data folder (../shared/data)"));
        var run = new RuleRun(labels, new Eis7TransformerOptions(Steps: maxSteps, Seed: seed, InitFrom: initFrom));
        var (log, fit) = run.Train(afterFit, step => Console.Error.WriteLine($"{name} step {step}"));
        var camelCase = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };
        File.WriteAllText($"{name}.json", JsonSerializer.Serialize(new { name, fit, decays = Decays, log, windows = run.Windows(fit) }, camelCase));
        Console.Error.WriteLine($"{name}: fits the train half at step {fit?.ToString(CultureInfo.InvariantCulture) ?? "never"}; wrote {name}.json");
    }

    sealed record Eval(double TrL, double TrA, double TeL, double TeA);

    sealed class RuleRun
    {
        readonly Tensor _trainX, _trainY, _testX, _testY;
        readonly HookedTransformer _model, _evalModel;
        readonly Trainer _trainer;
        readonly int[][] _shapes;
        readonly double[][][] _emas;
        readonly List<(int Step, float[][] Weights)> _kept = [];

        public RuleRun(Eis7Labels labels, Eis7TransformerOptions o)
        {
            int p = labels.Size;
            var (train, _, test) = Eis7Transformer.Pairs(p, o);
            (_trainX, _trainY) = (Eis7Transformer.Tokens(train, p), Eis7Transformer.Targets(labels, train));
            (_testX, _testY) = (Eis7Transformer.Tokens(test, p), Eis7Transformer.Targets(labels, test));
            _model = new HookedTransformer(o.ModelConfig(p));
            if (o.InitFrom is string file) _model.LoadSafeTensors(file);
            else if (o.Init == "grokking") Eis7Transformer.GrokkingInit(_model, o.Seed);
            _evalModel = new HookedTransformer(o.ModelConfig(p));
            var optimizer = new AdamW(_model.Parameters(), o.LearningRate, betas: (0.9, 0.98), weightDecay: o.WeightDecay);
            _trainer = new Trainer(_model, optimizer, train.Length, _ => Eis7Transformer.Loss(Eis7Transformer.AnswerLogits(_model, _trainX), _trainY),
                new TrainerOptions(o.Steps, train.Length, o.Seed, step => o.WarmupSteps == 0 ? 1 : Math.Min((double)step / o.WarmupSteps, 1)));
            _shapes = _model.NamedParameters().Select(q => q.Param.ShapeArray).ToArray();
            _emas = Decays.Select(_ => Weights().Select(w => w.Select(v => (double)v).ToArray()).ToArray()).ToArray();
        }

        public (List<object> Log, int? Fit) Train(int afterFit, Action<int> progress)
        {
            var log = new List<object>();
            int? fit = null;
            while (!_trainer.Done)
            {
                _trainer.Run(maxSteps: 1);
                var w = Weights();
                UpdateAverages(w);
                if (_trainer.Step % EvalEvery != 0) continue;
                _kept.Add((_trainer.Step, w));
                var raw = Evaluate(k => w[k]);
                var emas = _trainer.Step < FirstAverageEval ? [] : _emas.Select(e => Evaluate(k => e[k].Select(v => (float)v).ToArray())).ToArray();
                log.Add(new { step = _trainer.Step, raw, ema = emas });
                progress(_trainer.Step);
                if (fit is null && raw.TrA >= 1) fit = _trainer.Step;
                if (fit is int f && _trainer.Step >= f + afterFit) break;
            }
            return (log, fit);
        }

        /// <summary>Uniform averages of the kept weights over windows [from, to] (steps 20 apart, at most 250 long) from 100 steps before the fit.</summary>
        public List<object> Windows(int? fit)
        {
            var windows = new List<object>();
            int last = _kept[^1].Step;
            for (int from = Math.Max(200, (fit ?? 400) - 100); from <= last; from += 20)
                for (int to = from; to <= Math.Min(last, from + 250); to += 20)
                {
                    var ws = _kept.Where(c => c.Step >= from && c.Step <= to).Select(c => c.Weights).ToList();
                    windows.Add(new { from, to, eval = Evaluate(k => Mean(ws, k)) });
                }
            return windows;
        }

        float[][] Weights() => _model.NamedParameters().Select(q => q.Param.ToCpuContiguous().ToFloatArray()).ToArray();

        // average ← d · average + (1 − d) · weights
        void UpdateAverages(float[][] w)
        {
            for (int d = 0; d < Decays.Length; d++)
                for (int k = 0; k < w.Length; k++)
                {
                    var average = _emas[d][k];
                    for (int j = 0; j < average.Length; j++) average[j] = Decays[d] * average[j] + (1 - Decays[d]) * w[k][j];
                }
        }

        static float[] Mean(List<float[][]> ws, int k)
        {
            var mean = new float[ws[0][k].Length];
            foreach (var w in ws)
                for (int j = 0; j < mean.Length; j++) mean[j] += w[k][j] / ws.Count;
            return mean;
        }

        Eval Evaluate(Func<int, float[]> weights)
        {
            using var _ = GradMode.NoGrad();
            int k = 0;
            foreach (var (_, param) in _evalModel.NamedParameters()) { param.Backend.Copy(Tensor.FromArray(weights(k), _shapes[k]), param); k++; }
            var (trL, trA) = Eis7Transformer.LossAndAccuracy(_evalModel, _trainX, _trainY);
            var (teL, teA) = Eis7Transformer.LossAndAccuracy(_evalModel, _testX, _testY);
            return new Eval(trL, trA, teL, teA);
        }
    }
}
