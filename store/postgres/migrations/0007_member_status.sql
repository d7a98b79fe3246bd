-- Membership status: 'active', or 'suspended' (the organization's directory
-- deprovisioned the member; org routes and the org's token refresh refuse it).
ALTER TABLE authos_memberships ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
