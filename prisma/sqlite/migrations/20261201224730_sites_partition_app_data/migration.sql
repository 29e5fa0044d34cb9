-- Sites become the partition key of app data (prisma/README.md, "Sites"). Hand-edited from `npm run db:diff`
-- so that no row is lost: every existing tenant gets a Site whose id is its clientKey, and notes and webhook
-- deliveries keep their rows, their old clientKey becoming their siteId.

-- CreateTable
CREATE TABLE "Site" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "cloudId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "ForgeInstallation" (
    "installationId" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "cloudId" TEXT NOT NULL,
    "siteUrl" TEXT,
    "environmentType" TEXT,
    "environmentId" TEXT,
    "appVersion" TEXT,
    "state" TEXT NOT NULL,
    "installedAt" DATETIME NOT NULL,
    "upgradedAt" DATETIME,
    "uninstalledAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    "lastLifecycleIat" INTEGER,
    CONSTRAINT "ForgeInstallation_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- Backfill: one Site per existing installation, id = clientKey (and for any orphaned note or delivery).
INSERT INTO "Site" ("id", "createdAt") SELECT "clientKey", "installedAt" FROM "Tenant";
INSERT OR IGNORE INTO "Site" ("id") SELECT DISTINCT "clientKey" FROM "Note";
INSERT OR IGNORE INTO "Site" ("id") SELECT DISTINCT "clientKey" FROM "WebhookDelivery";

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_Note" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "issueKey" TEXT NOT NULL,
    "projectKey" TEXT,
    "authorAccountId" TEXT NOT NULL,
    "text" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "Note_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_Note" ("siteId", "authorAccountId", "createdAt", "id", "issueKey", "projectKey", "text") SELECT "clientKey", "authorAccountId", "createdAt", "id", "issueKey", "projectKey", "text" FROM "Note";
DROP TABLE "Note";
ALTER TABLE "new_Note" RENAME TO "Note";
CREATE INDEX "Note_siteId_issueKey_idx" ON "Note"("siteId", "issueKey");
CREATE INDEX "Note_siteId_createdAt_idx" ON "Note"("siteId", "createdAt");
CREATE TABLE "new_Tenant" (
    "clientKey" TEXT NOT NULL PRIMARY KEY,
    "siteId" TEXT NOT NULL,
    "installationId" TEXT,
    "key" TEXT NOT NULL,
    "baseUrl" TEXT NOT NULL,
    "displayUrl" TEXT,
    "productType" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    "sharedSecret" TEXT NOT NULL,
    "oauthClientId" TEXT,
    "serverVersion" TEXT,
    "pluginsVersion" TEXT,
    "state" TEXT NOT NULL,
    "installedAt" DATETIME NOT NULL,
    "enabledAt" DATETIME,
    "disabledAt" DATETIME,
    "uninstalledAt" DATETIME,
    "updatedAt" DATETIME NOT NULL,
    "lastLifecycleIat" INTEGER,
    CONSTRAINT "Tenant_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_Tenant" ("siteId", "baseUrl", "clientKey", "description", "disabledAt", "displayUrl", "enabledAt", "installedAt", "key", "lastLifecycleIat", "oauthClientId", "pluginsVersion", "productType", "serverVersion", "sharedSecret", "state", "uninstalledAt", "updatedAt") SELECT "clientKey", "baseUrl", "clientKey", "description", "disabledAt", "displayUrl", "enabledAt", "installedAt", "key", "lastLifecycleIat", "oauthClientId", "pluginsVersion", "productType", "serverVersion", "sharedSecret", "state", "uninstalledAt", "updatedAt" FROM "Tenant";
DROP TABLE "Tenant";
ALTER TABLE "new_Tenant" RENAME TO "Tenant";
CREATE UNIQUE INDEX "Tenant_installationId_key" ON "Tenant"("installationId");
CREATE INDEX "Tenant_baseUrl_idx" ON "Tenant"("baseUrl");
CREATE INDEX "Tenant_siteId_idx" ON "Tenant"("siteId");
CREATE TABLE "new_WebhookDelivery" (
    "siteId" TEXT NOT NULL,
    "webhookId" TEXT NOT NULL,
    "event" TEXT NOT NULL,
    "receivedAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("siteId", "webhookId"),
    CONSTRAINT "WebhookDelivery_siteId_fkey" FOREIGN KEY ("siteId") REFERENCES "Site" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
INSERT INTO "new_WebhookDelivery" ("siteId", "event", "receivedAt", "webhookId") SELECT "clientKey", "event", "receivedAt", "webhookId" FROM "WebhookDelivery";
DROP TABLE "WebhookDelivery";
ALTER TABLE "new_WebhookDelivery" RENAME TO "WebhookDelivery";
CREATE INDEX "WebhookDelivery_receivedAt_idx" ON "WebhookDelivery"("receivedAt");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE UNIQUE INDEX "Site_cloudId_key" ON "Site"("cloudId");

-- CreateIndex
CREATE INDEX "ForgeInstallation_siteId_idx" ON "ForgeInstallation"("siteId");
