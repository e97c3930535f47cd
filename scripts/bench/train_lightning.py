#!/usr/bin/env python3
"""The Lightning side of scripts/bench-train.js: the job of train_reference.py as a LightningModule
and a Trainer, written the way the Lightning docs write it.

  same data loaders, model, AdamW and warmup + cosine LambdaLR (interval "step") as train_reference.py
  Trainer(gradient_clip_val=1.0, log_every_n_steps=16, check_val_every_n_epoch=1), CPU, one device
  TensorBoardLogger: train loss (self.log on every step, written every 16) and LR (LearningRateMonitor)
  ModelCheckpoint(every_n_epochs=1, save_top_k=-1): a checkpoint every epoch
  progress bar and model summary off (console output is not what is measured)

Prints one JSON line like train_reference.py. Exits 3 with a JSON line {"unavailable": ...} when
lightning does not import (Debian's python3 has none), which bench-train.js shows as n/a.
"""
import json
import os
import sys
import warnings

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_reference import build_model, loaders, make_optimizer, param_count, param_shapes, parse_args, warmup_cosine  # noqa: E402

try:
    import lightning as L
    from lightning.pytorch.callbacks import LearningRateMonitor, ModelCheckpoint
    from lightning.pytorch.loggers import TensorBoardLogger
except ImportError as e:
    print(json.dumps({"unavailable": f"lightning does not import ({e})"}))
    sys.exit(3)


class Module(L.LightningModule):
    def __init__(self, spec, total_steps):
        super().__init__()
        self.spec, self.total_steps = spec, total_steps
        self.model = build_model(spec)
        self.threads_seen = None

    def training_step(self, batch, _):
        x, y = batch
        loss = F.cross_entropy(self.model(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, _):
        x, y = batch
        out = self.model(x)
        self.log("val_loss", F.cross_entropy(out, y))
        self.log("val_accuracy", (out.argmax(1) == y).float().mean())

    def configure_optimizers(self):
        opt = make_optimizer(self.model, self.spec)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, warmup_cosine(self.spec, self.total_steps))
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    def on_train_end(self):
        self.threads_seen = torch.get_num_threads()  # Lightning must not have changed it


def main():
    a = parse_args("Lightning training (scripts/bench-train.js)")
    spec = json.loads(a.spec)
    torch.set_num_threads(a.threads)
    L.seed_everything(spec["seed"], verbose=False)
    # "The dataloader does not have many workers": the data is in memory, like the other two ways.
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    train_loader, val_loader = loaders(spec, a.data)
    module = Module(spec, a.epochs * len(train_loader))
    trainer = L.Trainer(
        max_epochs=a.epochs, accelerator="cpu", devices=1, default_root_dir=a.out,
        gradient_clip_val=spec["gradClip"], gradient_clip_algorithm="norm",
        log_every_n_steps=spec["logEvery"], check_val_every_n_epoch=1,
        logger=TensorBoardLogger(a.out, name="tensorboard"),
        callbacks=[ModelCheckpoint(dirpath=os.path.join(a.out, "checkpoints"), every_n_epochs=1, save_top_k=-1),
                   LearningRateMonitor(logging_interval="step")],
        enable_progress_bar=False, enable_model_summary=False)
    trainer.fit(module, train_loader, val_loader)
    print(json.dumps({"params": param_count(module.model), "shapes": param_shapes(module.model), "steps": trainer.global_step,
                      "threads": module.threads_seen, "torch": torch.__version__,
                      "lightning": L.__version__, "logger": "tensorboard"}))


if __name__ == "__main__":
    main()
