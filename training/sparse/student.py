"""The student: splade-tiny's document side, computed only on the vocabulary columns a step needs.

doc weight of term t = max over positions of log(1 + ReLU(MLM logit of t)), exactly what the
shipped ONNX graph computes (packaging/build_models.py `SparseWrapper`). The inference-free score
of a query is sum over its terms of idf(t) * w_doc(t), so a ranking loss only ever reads the
columns of the batch's query terms; the FLOPS regulariser is estimated on a uniform sample of
columns. Computing the projection for those ~2-3k columns instead of all 30,522 is an exact
rewrite of the loss, and autograd's max already sends each term's gradient to its argmax
position only.
"""

from __future__ import annotations

import torch
from torch import nn


class Student(nn.Module):
    def __init__(self, mlm: nn.Module) -> None:
        super().__init__()
        self.mlm = mlm

    def forward(self, ids: torch.Tensor, mask: torch.Tensor,
                columns: torch.Tensor | None = None) -> torch.Tensor:
        """(documents, columns) weights; every column when `columns` is None."""
        hidden = self.mlm.bert(input_ids=ids, attention_mask=mask,
                               token_type_ids=torch.zeros_like(ids)).last_hidden_state
        head = self.mlm.cls.predictions
        h = head.transform(hidden)
        weight, bias = head.decoder.weight, head.decoder.bias
        if columns is not None:
            weight, bias = weight[columns], bias[columns]
        logits = h @ weight.T + bias
        logits = logits.masked_fill(~mask.bool().unsqueeze(-1), -1e4)
        return torch.log1p(torch.relu(logits.max(dim=1).values))
