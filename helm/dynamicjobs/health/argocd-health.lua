-- Argo CD health of a DynamicJob (dynamicjobs.io/DynamicJob), from its status conditions.
-- Install: resource.customizations.health.dynamicjobs.io_DynamicJob in argocd-cm
-- (docs/observability.md). Tested by tests/unit/test_health_lua.py on statuses the
-- operator's and the runner's own code write.
--
--   Degraded     Stalled is True (the spec cannot be reconciled), or Degraded is True
--                (the newest run failed, or a scheduled run was missed since)
--   Progressing  not reconciled yet, the spec changed since (observedGeneration), or
--                Reconciling is True
--   Suspended    spec.suspend is true (with the reason, when one was given)
--   Healthy      Ready, and the runs are not Degraded
local hs = {}

local function condition(kind)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function is_true(c)
  return c ~= nil and c.status == "True"
end

local function said(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  return fallback
end

local stalled = condition("Stalled")
if is_true(stalled) then
  hs.status = "Degraded"
  hs.message = said(stalled, "Stalled")
  return hs
end

local reconciling = condition("Reconciling")
if is_true(reconciling) then
  hs.status = "Progressing"
  hs.message = said(reconciling, "Reconciling")
  return hs
end

local ready = condition("Ready")
local generation = obj.metadata and obj.metadata.generation
local observed = obj.status and obj.status.observedGeneration
if ready == nil or ready.status == "Unknown"
    or (generation ~= nil and (observed == nil or observed < generation)) then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile the spec"
  return hs
end

if ready.status ~= "True" then
  hs.status = "Degraded"
  hs.message = said(ready, "Not Ready")
  return hs
end

local suspended = condition("Suspended")
if is_true(suspended) then
  hs.status = "Suspended"
  hs.message = said(suspended, "spec.suspend is true")
  return hs
end

local degraded = condition("Degraded")
if is_true(degraded) then
  hs.status = "Degraded"
  hs.message = said(degraded, "The last run failed")
  return hs
end

hs.status = "Healthy"
hs.message = said(ready, "Ready")
return hs
